/** A configuration mistake: its message names the variable and says what is expected. */
export class ConfigError extends Error {}
