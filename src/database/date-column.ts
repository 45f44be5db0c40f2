import { Column, ColumnOptions } from 'typeorm';

// Every timestamp is UTC with millisecond precision, matching the migrations.
export const DateColumn = (name: string, options: Omit<ColumnOptions, 'name' | 'type'> = {}): PropertyDecorator =>
  Column({ name, type: 'datetime', precision: 3, ...options });
