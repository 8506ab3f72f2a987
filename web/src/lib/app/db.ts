// The page's handle on the store (the ingest worker opens its own on the same database).
import { TruwatchDb } from '../db/schema.ts';

export const db = new TruwatchDb();
