import { v7 } from 'uuid';

/** Time-ordered UUIDs (v7): primary keys that sort by creation, for cursor paging and index locality. */
export function newId(): string {
  return v7();
}
