// Why a message that needs a token counts for nothing (docs/TRUST.md): the aggregator counts refusals by these.
export const TOKEN_REFUSALS = [
  'missing',
  'malformed',
  'unknown_key',
  'expired_key',
  'wrong_challenge',
  'bad_signature',
  'double_spend',
  'store_full',
  'no_store',
] as const;
export type TokenRefusal = (typeof TOKEN_REFUSALS)[number];
