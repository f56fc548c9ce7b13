"""codex_tool_search: the search and list ops of codex-tool, both over ripgrep.

search: `rg --json` with the pattern after `--` (argv, never a shell), capped by matching lines and bytes;
the matches beyond the caps are counted, not sent. list: `rg --files` (ignore files honoured, `.git`
never listed) folded into the entries up to a depth, with how many files sit below each deeper folder.
Both run with a time limit and stay inside the workspace (paths resolved as every op does).
"""
import base64
import json
import os
import subprocess
import tempfile
import threading

from codex_tool_base import ROOT, Refused, resolve, show

RG_BASE = ['rg', '--no-config', '--hidden', '--no-require-git', '--sort', 'path']
NOT_GIT = ['--glob', '!.git']
TIME_LIMIT_S = 30
MAX_LINE_CHARS = 500
MAX_CONTEXT = 10


def int_arg(req, key, default, low, high):
    value = req.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Refused(f'{key} must be an integer from {low} to {high}')
    return value


def search_root(req):
    given = req.get('path') or '.'
    real = resolve(given)
    if not os.path.exists(real):
        raise Refused(f'{given}: no such file or directory')
    return show(real)


def clean_path(path):
    return path[2:] if path.startswith('./') else path


def text_of(field):
    if 'text' in field:
        return field['text']
    return base64.b64decode(field.get('bytes', '')).decode('utf-8', 'replace')


class Ripgrep:
    """One rg process: its stdout read line by line, stderr kept in a file, killed at the time limit."""

    def __init__(self, argv):
        self.errors = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(argv, cwd=ROOT,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.errors)
        except FileNotFoundError:
            raise Refused('ripgrep (rg) is not installed in the container; use the shell tool instead')
        self.timed_out = False
        self.timer = threading.Timer(TIME_LIMIT_S, self.kill)
        self.timer.start()

    def kill(self):
        self.timed_out = True
        self.proc.kill()

    def lines(self):
        yield from self.proc.stdout

    def finish(self):
        self.proc.wait()
        self.timer.cancel()
        self.errors.seek(0)
        text = self.errors.read(4000).decode('utf-8', 'replace').strip()
        return self.proc.returncode, text


def search_argv(req, root):
    pattern = req.get('pattern')
    if not isinstance(pattern, str) or not pattern:
        raise Refused('pattern must be a non-empty string')
    argv = RG_BASE + ['--json']
    context = int_arg(req, 'context', 0, 0, MAX_CONTEXT)
    if context:
        argv += ['--context', str(context)]
    glob = req.get('glob')
    if glob is not None:
        if not isinstance(glob, str) or not glob:
            raise Refused('glob must be a non-empty string')
        argv += ['--glob', glob]
    case = req.get('case_sensitive')
    argv.append('--smart-case' if case is None else '--case-sensitive' if case else '--ignore-case')
    if req.get('literal'):
        argv.append('--fixed-strings')
    return argv + NOT_GIT + ['--', pattern, root]


def entry_of(message):
    data = message['data']
    text = text_of(data['lines']).rstrip('\r\n')
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + ' … [line truncated]'
    return {'path': clean_path(text_of(data['path'])), 'line': data.get('line_number') or 0,
            'text': text, 'match': message['type'] == 'match'}


def op_search(req):
    max_matches = int_arg(req, 'max_matches', 100, 1, 10_000)
    max_bytes = int_arg(req, 'max_bytes', 40_000, 100, 1_000_000)
    rg = Ripgrep(search_argv(req, search_root(req)))
    entries, shown, more, size = [], 0, 0, 0
    for raw in rg.lines():
        if shown >= max_matches or size >= max_bytes:
            more += raw.startswith(b'{"type":"match"')
            continue
        message = json.loads(raw)
        if message.get('type') not in ('match', 'context'):
            continue
        entry = entry_of(message)
        entries.append(entry)
        shown += entry['match']
        size += len(entry['path']) + len(entry['text']) + 12
    code, errors = rg.finish()
    if code == 2 and not entries:
        raise Refused(f'search failed: {errors or "ripgrep exited with an error"}')
    while entries and not entries[-1]['match']:
        entries.pop()
    return {'ok': True, 'entries': entries, 'shown': shown, 'more': more, 'timed_out': rg.timed_out,
            'errors': errors if code == 2 else ''}


def fold(paths, base, depth):
    """{entry: files below it beyond the depth} for entries up to `depth` levels under base."""
    entries = {}
    for path in paths:
        rel = path if base == '.' else path[len(base) + 1:]
        parts = rel.split('/')
        for level in range(1, min(depth, len(parts)) + 1):
            is_dir = level < len(parts)
            name = '/'.join(parts[:level]) + ('/' if is_dir else '')
            entries.setdefault(name, 0)
            if is_dir and level == depth:
                entries[name] += 1
    return entries


def tree_key(name):
    return name.rstrip('/').split('/')


def op_list(req):
    depth = int_arg(req, 'depth', 2, 1, 20)
    max_entries = int_arg(req, 'max_entries', 500, 1, 10_000)
    base = search_root(req)
    if base != '.' and not os.path.isdir(resolve(base)):
        return {'ok': True, 'entries': [{'path': base, 'dir': False, 'below': 0}], 'more': 0, 'files': 1}
    rg = Ripgrep(RG_BASE + ['--files'] + NOT_GIT + ['--', base])
    paths = [clean_path(raw.decode('utf-8', 'replace').rstrip('\n')) for raw in rg.lines()]
    code, errors = rg.finish()
    if code == 2 and not paths:
        raise Refused(f'listing failed: {errors or "ripgrep exited with an error"}')
    names = sorted(fold(paths, base, depth).items(), key=lambda item: tree_key(item[0]))
    entries = [{'path': name, 'dir': name.endswith('/'), 'below': below} for name, below in names[:max_entries]]
    return {'ok': True, 'base': base, 'entries': entries, 'more': max(0, len(names) - max_entries),
            'files': len(paths), 'timed_out': rg.timed_out}
