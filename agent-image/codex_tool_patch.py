"""codex_tool_patch: the apply_patch op of codex-tool (the patch format Codex models are trained on).

  *** Begin Patch
  *** Add File: path            every following line starts with +
  *** Delete File: path
  *** Update File: path
  *** Move to: new/path         optional, right after Update File
  @@ optional context line      then lines starting with ' ' (context), '-' (remove), '+' (add)
  *** End of File               optional: the hunk ends at the end of the file
  *** End Patch

Every path is resolved and every hunk matched before a byte is written; then each file is written to a
temporary file beside it and renamed into place (modes kept). Hunk lines are matched exactly, then
ignoring trailing whitespace, then ignoring leading and trailing whitespace, then with typographic
punctuation folded to ASCII. Lines are matched without their \\r: a CRLF file keeps its line endings.
"""
import os
import stat
import tempfile

from codex_tool_base import Refused, resolve, show

BEGIN, END, EOF_MARK = '*** Begin Patch', '*** End Patch', '*** End of File'
ADD, DELETE, UPDATE, MOVE = '*** Add File: ', '*** Delete File: ', '*** Update File: ', '*** Move to: '
MAX_PATCH_CHARS = 4 * 1024 * 1024
MAX_FILE_BYTES = 16 * 1024 * 1024
SHOWN_LINES = 12
PUNCTUATION = str.maketrans({
    '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2015': '-', '\u2212': '-',
    '\u2018': "'", '\u2019': "'", '\u201a': "'", '\u201b': "'",
    '\u201c': '"', '\u201d': '"', '\u201e': '"', '\u201f': '"',
    '\u00a0': ' ', '\u2002': ' ', '\u2003': ' ', '\u2009': ' ', '\u202f': ' ', '\u3000': ' ',
})
NORMALIZERS = (lambda s: s, str.rstrip, str.strip, lambda s: s.strip().translate(PUNCTUATION))


class Hunk:
    def __init__(self, number, context):
        self.number, self.context = number, context
        self.old, self.new, self.eof = [], [], False
        self.added = self.removed = 0


class FileOp:
    def __init__(self, kind, path):
        self.kind, self.path = kind, path
        self.move_to, self.lines, self.hunks = None, [], []


# ---------------------------------------------------------------- parsing

def patch_lines(text):
    lines = [line[:-1] if line.endswith('\r') else line for line in text.split('\n')]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines or lines[0].strip() != BEGIN:
        raise Refused(f"the patch must start with a line '{BEGIN}'")
    if lines[-1].strip() != END:
        raise Refused(f"the patch must end with a line '{END}'")
    return lines[1:-1]


def header_path(line, prefix):
    path = line[len(prefix):].strip()
    if not path:
        raise Refused(f"'{prefix.strip()}' needs a path")
    return path


def parse_hunks(body, i, op):
    current = None
    while i < len(body):
        raw = body[i]
        if raw.strip() == EOF_MARK:
            if current is None:
                raise Refused(f'{op.path}: {EOF_MARK} must end a hunk')
            current.eof, current = True, None
        elif raw.startswith('*** '):
            break
        elif raw.startswith('@@'):
            current = Hunk(len(op.hunks) + 1, raw[2:].strip() or None)
            op.hunks.append(current)
        else:
            if current is None and op.hunks:
                raise Refused(f'{op.path}: patch line {i + 2}: lines after {EOF_MARK} need a new @@')
            if current is None:
                current = Hunk(1, None)
                op.hunks.append(current)
            add_hunk_line(current, raw, op.path, i + 2)
        i += 1
    for hunk in op.hunks:
        if not hunk.old and not hunk.new:
            raise Refused(f'{op.path}: hunk {hunk.number} is empty')
    if not op.hunks and op.move_to is None:
        raise Refused(f'{op.path}: *** Update File has no hunks')
    return i


def add_hunk_line(hunk, raw, path, number):
    mark, text = raw[:1], raw[1:]
    if mark in ('', ' '):
        hunk.old.append(text)
        hunk.new.append(text)
    elif mark == '-':
        hunk.old.append(text)
        hunk.removed += 1
    elif mark == '+':
        hunk.new.append(text)
        hunk.added += 1
    else:
        raise Refused(f"{path}: hunk {hunk.number}, patch line {number}: {raw[:80]!r} must start with "
                      "' ' (context), '-' (remove) or '+' (add)")


def parse_patch(text):
    body, ops, i = patch_lines(text), [], 0
    while i < len(body):
        line = body[i].strip()
        i += 1
        if not line:
            continue
        if line.startswith(ADD):
            op = FileOp('add', header_path(line, ADD))
            while i < len(body) and body[i].startswith('+'):
                op.lines.append(body[i][1:])
                i += 1
        elif line.startswith(DELETE):
            op = FileOp('delete', header_path(line, DELETE))
        elif line.startswith(UPDATE):
            op = FileOp('update', header_path(line, UPDATE))
            if i < len(body) and body[i].strip().startswith(MOVE):
                op.move_to = header_path(body[i].strip(), MOVE)
                i += 1
            i = parse_hunks(body, i, op)
        else:
            raise Refused(f"patch line {i + 1}: expected '{ADD}', '{DELETE}' or '{UPDATE}', got {line[:80]!r}")
        ops.append(op)
    if not ops:
        raise Refused('the patch changes no file')
    return ops


# ---------------------------------------------------------------- matching

def split_lines(text):
    """[(line without its ending, ending)]: endings are '\\n', '\\r\\n' or '' (a last line without one)."""
    out = []
    for piece in text.split('\n'):
        out.append([piece, '\n'])
    last = out.pop()
    if last[0]:
        out.append([last[0], ''])
    for line in out:
        if line[1] == '\n' and line[0].endswith('\r'):
            line[0], line[1] = line[0][:-1], '\r\n'
    return out


def dominant_ending(lines):
    crlf = sum(1 for _, end in lines if end == '\r\n')
    return '\r\n' if crlf and 2 * crlf >= sum(1 for _, end in lines if end) else '\n'


def seek(texts, pattern, start, eof):
    if not pattern:
        return start
    last = len(texts) - len(pattern)
    if last < start:
        return None
    first = last if eof else start
    for norm in NORMALIZERS:
        want = [norm(p) for p in pattern]
        for at in range(first, last + 1):
            if all(norm(texts[at + j]) == want[j] for j in range(len(pattern))):
                return at
    return None


def describe_miss(path, hunk, what, lines):
    shown = '\n'.join(f'  {line}' for line in lines[:SHOWN_LINES])
    more = f'\n  … {len(lines) - SHOWN_LINES} more lines' if len(lines) > SHOWN_LINES else ''
    return Refused(f'{path}: hunk {hunk.number} did not match: {what} not found:\n{shown}{more}\n'
                   'No file was changed. Read the file and copy the context and removed lines exactly.')


def locate(texts, hunk, start, path):
    if hunk.context is not None:
        found = seek(texts, [hunk.context], start, False)
        if found is None:
            raise describe_miss(path, hunk, f'the @@ context line (after line {start})', [hunk.context])
        start = found + 1
    if not hunk.old:
        return (start if hunk.context is not None else len(texts)), hunk.old, hunk.new
    old, new = hunk.old, hunk.new
    found = seek(texts, old, start, hunk.eof)
    if found is None and old[-1] == '':
        old, new = old[:-1], new[:-1] if new and new[-1] == '' else new
        found = seek(texts, old, start, hunk.eof)
    if found is None:
        where = 'at the end of the file' if hunk.eof else f'after line {start}'
        raise describe_miss(path, hunk, f'these lines ({where})', old)
    return found, old, new


def patched_text(path, text, hunks):
    lines = split_lines(text)
    ending = dominant_ending(lines)
    texts = [t for t, _ in lines]
    edits, start = [], 0
    for hunk in hunks:
        at, old, new = locate(texts, hunk, start, path)
        edits.append((at, len(old), new))
        start = at + len(old)
    for at, count, new in reversed(edits):
        tail = lines[at + count - 1][1] if count and at + count == len(lines) else ending
        fresh = [[t, ending] for t in new]
        if fresh:
            fresh[-1][1] = tail
        lines[at:at + count] = fresh
    for line in lines[:-1]:
        line[1] = line[1] or ending
    added, removed = sum(h.added for h in hunks), sum(h.removed for h in hunks)
    return ''.join(t + e for t, e in lines), added, removed


# ---------------------------------------------------------------- files

def target(given):
    """The real path of `given`, its last component not followed: a patch never writes through (or removes)
    a symbolic link; folders on the way are resolved and must stay in the workspace."""
    name = os.path.basename(given)
    if name in ('', '.', '..'):
        raise Refused(f'{given}: not a file path')
    real = os.path.join(resolve(os.path.dirname(given) or '.'), name)
    if os.path.islink(real):
        raise Refused(f'{given}: is a symbolic link; apply_patch does not write through links')
    return real


def check_new(real, given):
    if os.path.lexists(real):
        raise Refused(f'{given}: already exists; change it with *** Update File')
    parent = os.path.dirname(real)
    while not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise Refused(f'{given}: {show(parent)} is not a directory')


def read_text(real, given):
    st = os.stat(real) if os.path.isfile(real) else None
    if st is None:
        raise Refused(f'{given}: no such file' if not os.path.lexists(real) else f'{given}: not a regular file')
    if st.st_size > MAX_FILE_BYTES:
        raise Refused(f'{given}: {st.st_size} bytes; apply_patch edits files up to {MAX_FILE_BYTES} bytes')
    with open(real, 'rb') as f:
        data = f.read()
    if b'\0' in data:
        raise Refused(f'{given}: binary file; apply_patch edits text files')
    return data.decode('utf-8', 'surrogateescape'), stat.S_IMODE(st.st_mode)


def encoded(text, given):
    try:
        return text.encode('utf-8', 'surrogateescape')
    except UnicodeEncodeError:
        raise Refused(f'{given}: the patch holds characters that cannot be written as UTF-8')


def default_mode():
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def plan_update(op, real, claim):
    text, mode = read_text(real, op.path)
    new_text, added, removed = patched_text(op.path, text, op.hunks)
    counts = f'(+{added} -{removed})'
    if op.move_to is None:
        return (real, encoded(new_text, op.path), mode), None, f'M {show(real)} {counts}'
    dest = target(op.move_to)
    claim(dest, op.move_to)
    check_new(dest, op.move_to)
    return (dest, encoded(new_text, op.move_to), mode), real, f'R {show(real)} -> {show(dest)} {counts}'


def plan(ops):
    """Resolves every path and matches every hunk: (files to write, files to remove, summary lines)."""
    writes, removes, summary, seen = [], [], [], set()

    def claim(real, given):
        if real in seen:
            raise Refused(f'{given}: appears more than once in the patch')
        seen.add(real)

    for op in ops:
        real = target(op.path)
        claim(real, op.path)
        if op.kind == 'add':
            check_new(real, op.path)
            writes.append((real, encoded(''.join(line + '\n' for line in op.lines), op.path), default_mode()))
            summary.append(f'A {show(real)} ({len(op.lines)} lines)')
        elif op.kind == 'delete':
            if not os.path.isfile(real):
                raise Refused(f'{op.path}: no such file' if not os.path.lexists(real) else f'{op.path}: not a regular file')
            removes.append(real)
            summary.append(f'D {show(real)}')
        else:
            write, source, line = plan_update(op, real, claim)
            writes.append(write)
            if source:
                removes.append(source)
            summary.append(line)
    return writes, removes, summary


def commit(writes, removes):
    """Stages every new file beside its target, then renames them all into place and removes the rest."""
    staged = []
    try:
        for real, data, mode in writes:
            os.makedirs(os.path.dirname(real), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(real), prefix='.codex-tool-')
            staged.append((tmp, real))
            with os.fdopen(fd, 'wb') as f:
                f.write(data)
            os.chmod(tmp, mode)
    except BaseException:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    for tmp, real in staged:
        os.replace(tmp, real)
    for real in removes:
        os.unlink(real)


def op_apply_patch(req):
    patch = req.get('patch')
    if not isinstance(patch, str) or not patch.strip():
        raise Refused('patch must be a non-empty string')
    if len(patch) > MAX_PATCH_CHARS:
        raise Refused(f'the patch is {len(patch)} characters; the limit is {MAX_PATCH_CHARS}')
    writes, removes, summary = plan(parse_patch(patch))
    commit(writes, removes)
    return {'ok': True, 'output': 'Applied the patch:\n' + '\n'.join(summary), 'files': len(summary)}
