// The pairing link (the sidecar's address with the API token in its fragment), and whether a sidecar already
// running on the configured address is one that this token opens: `npm start -- --pairing-link` then prints its
// link instead of failing to start a second one on the same port.

/** The link a browser opens to pair: on every address (in a container), a browser here uses the loopback one. */
export function pairingLink(url: string, apiKey: string): string {
  const local = url.replace(/^http:\/\/(0\.0\.0\.0|\[::\])(?=:)/, 'http://127.0.0.1');
  return `${local}/#token=${apiKey}`;
}

export type RunningSidecar = 'ours' | 'other-token' | 'none';

/** Asks the server on `url` for the token-protected status: answered with this token, it is our sidecar. */
export async function runningSidecar(url: string, apiKey: string): Promise<RunningSidecar> {
  try {
    const response = await fetch(`${url}/api/status`, {
      headers: { authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(3000),
    });
    await response.body?.cancel();
    if (response.ok) return 'ours';
    return response.status === 401 && response.headers.get('www-authenticate')?.startsWith('Bearer')
      ? 'other-token'
      : 'none';
  } catch {
    return 'none';
  }
}
