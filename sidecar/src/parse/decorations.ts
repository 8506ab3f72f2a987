// Removes what surrounds a runner line in the wild: ANSI colour codes, the `docker compose logs` prefix
// (`runner-node  | `) and a Docker RFC 3339 timestamp in front of the runner's own.

// eslint-disable-next-line no-control-regex -- ANSI escape sequences start with ESC
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const COMPOSE_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]*\s*\| ?/;
const DOCKER_TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?)(Z|[+-]\d\d:\d\d) /;

export interface Undecorated {
  text: string;
  /** The Docker timestamp that was in front of the line, as ISO-8601 with milliseconds. */
  dockerTs?: string;
}

export function undecorate(line: string): Undecorated {
  let text = line;
  if (text.includes('\x1b')) text = text.replace(ANSI, '');
  const first = text.charCodeAt(0);
  // A runner line starts with a digit: only look for a prefix when it does not.
  if (!(first >= 48 && first <= 57) && text.includes('|')) {
    const prefix = COMPOSE_PREFIX.exec(text);
    if (prefix) text = text.slice(prefix[0].length);
  }
  if (text.length > 20 && text.charCodeAt(10) === 84 /* T */) {
    const docker = DOCKER_TS.exec(text);
    if (docker) {
      const ms = Date.parse(docker[1]!.slice(0, 23) + docker[2]!);
      if (!Number.isNaN(ms))
        return { text: text.slice(docker[0].length), dockerTs: new Date(ms).toISOString() };
    }
  }
  return { text };
}
