/** An error that stops the aggregator with its message alone, no stack trace: the operator's to fix. */
export class StartError extends Error {}
