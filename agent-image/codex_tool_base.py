"""codex_tool_base: what every codex-tool op shares: the workspace root, path resolution, atomic writes.

Standard library only; imported by codex-tool and its op modules (they sit beside it in /usr/local/bin).
"""
import os
import stat
import tempfile

ALIAS = '/workspace'
ROOT = os.path.realpath(os.environ.get('CODEX_WORKSPACE') or ALIAS)


class Refused(Exception):
    """A failure the model should read; never a crash."""


def show(real):
    rel = os.path.relpath(real, ROOT)
    return '.' if rel == '.' else rel


def resolve(path):
    if not isinstance(path, str) or not path.strip():
        raise Refused('path must be a non-empty string')
    if '\0' in path:
        raise Refused('path must not contain NUL characters')
    if path == ALIAS or path.startswith(ALIAS + '/'):
        path = ROOT + path[len(ALIAS):]
    cand = path if os.path.isabs(path) else os.path.join(ROOT, path)
    real = os.path.realpath(cand)
    if real != ROOT and not real.startswith(ROOT + os.sep):
        raise Refused(f'{path}: refused, the path leads outside the workspace ({ALIAS})')
    return real


def need_str(req, key, allow_empty=True):
    value = req.get(key)
    if not isinstance(value, str) or (not allow_empty and value == ''):
        raise Refused(f'{key} must be a {"" if allow_empty else "non-empty "}string')
    return value


def need_file(real, given):
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise Refused(f'{given}: no such file')
    if stat.S_ISDIR(st.st_mode):
        raise Refused(f'{given}: is a directory')
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f'{given}: not a regular file')
    return st


def atomic_write(real, data, mode):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(real), prefix='.codex-tool-')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
