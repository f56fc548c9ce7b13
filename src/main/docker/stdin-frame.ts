/**
 * What an exec gets on stdin, framed so that nothing waits for the host to half-close the stream.
 *
 * Over Docker Desktop's named pipe (Windows) Node cannot half-close a hijacked exec stream (dockerode#534,
 * docker-modem#83): the FIN never reaches the engine, so a command reading its stdin to the end would wait
 * forever. The host therefore sends a length line and then the payload, and never closes its side; in the
 * container a small POSIX sh reader takes the length, passes exactly that many bytes on to the command
 * through a pipe, and closes that pipe — the command sees its whole input, then end-of-file, whatever
 * the exec's own stdin does.
 */

/**
 * `sh -c READER sh argv…`: reads the length line (the `read` builtin takes one byte at a time, so it
 * never reads into the payload), then `head -c` copies exactly that many bytes into the command's stdin.
 * The command's exit status is the pipeline's; a malformed frame exits 125 before anything runs.
 */
export const FRAMED_STDIN_READER =
  'IFS= read -r n || exit 125; ' +
  'case $n in ""|*[!0-9]*) echo "codex-sys: malformed stdin frame" >&2; exit 125;; esac; ' +
  'head -c "$n" | "$@"'

/** The frame sent on the exec's stdin: the payload's byte count in decimal, a newline, the payload. */
export function frameStdin(payload: string | Buffer): Buffer {
  const body = Buffer.from(payload)
  return Buffer.concat([Buffer.from(`${body.length}\n`, 'ascii'), body])
}

/** The argv that runs `argv` with the framed stdin as its whole input (empty stays empty, for the caller to refuse). */
export function framedArgv(argv: string[]): string[] {
  return argv.length ? ['sh', '-c', FRAMED_STDIN_READER, 'sh', ...argv] : []
}

/**
 * A shell script as bash needs it: CRLF line ends (a setup.sh saved on Windows, or checked out with
 * core.autocrlf) become LF, and a leading byte-order mark goes. With the CRs left in, `set -e\r` is an
 * invalid option and `cd dir\r` a missing directory.
 */
export function unixScript(script: string): string {
  return script
    .replace(/^\uFEFF/, '')
    .replace(/\r+\n/g, '\n')
    .replace(/\r+$/, '')
}
