// The name of federation's IndexedDB database, shared by its worker (which owns it) and the page that deletes it
// (Settings, "Clear all data") without loading federation's code.
export const FEDERATION_DB = 'truwatch-federation';
