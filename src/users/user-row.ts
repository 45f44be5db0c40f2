// The users row mapper lives in UsersRepository; kept for src/identities/identities.repository.ts until
// it imports from there (its folder is being reworked elsewhere).
export { USER_COLUMNS, USER_COLUMNS_AS_U, UserRow, userFromJoinedRow, userFromRow } from './users.repository';
