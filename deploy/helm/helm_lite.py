#!/usr/bin/python3
"""Renders a Helm chart with the subset of Go templates and Helm/Sprig
functions that deploy/helm/sejf uses, for the chart's checks on a machine
without helm (it is not in Debian). Not a general Helm: an action it does
not know is an error, so a template using more fails the check instead of
rendering wrongly.

Known: text with {{ }} / {{- -}} trimming and {{/* comments */}}; if / else
if / else, with / else, define, end; $var := pipeline; $ and . fields;
pipelines with ( ) and |; functions include print printf quote default
toYaml indent nindent trunc trimSuffix sha256sum eq ne gt lt int not and or.

  render_chart(chart_dir, values_overrides) -> {template path: text}
"""
import copy
import hashlib
import json
import os
import re

import yaml

ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)


class TemplateError(Exception):
    pass


# --- parsing ----------------------------------------------------------------

def lex(source):
    """[('text', s) | ('action', s)] with trim markers applied."""
    out, pos = [], 0
    for m in ACTION.finditer(source):
        text = source[pos:m.start()]
        if m.group(1):
            text = text.rstrip()
        out.append(["text", text])
        body = m.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            out.append(["action", body])
        pos = m.end()
        if m.group(3):
            rest = source[pos:]
            pos += len(rest) - len(rest.lstrip())
    out.append(["text", source[pos:]])
    return out


def parse(tokens, i=0, stop=("end",)):
    """(nodes, index after the closing token, closing keyword)."""
    nodes = []
    while i < len(tokens):
        kind, body = tokens[i]
        i += 1
        if kind == "text":
            nodes.append(("text", body))
            continue
        word = body.split(None, 1)[0] if body else ""
        rest = body[len(word):].strip()
        if word in ("end", "else"):
            if word not in stop and not (word == "else" and "else" in stop):
                raise TemplateError(f"unexpected {{{{ {body} }}}}")
            return nodes, i, body
        if word in ("if", "with"):
            branches, otherwise = [], []
            cond = rest
            while True:
                body_nodes, i, closing = parse(tokens, i, ("end", "else"))
                branches.append((cond, body_nodes))
                if closing == "end":
                    break
                if closing.startswith("else if ") and word == "if":
                    cond = closing[len("else if "):].strip()
                    continue
                if closing != "else":
                    raise TemplateError(f"unsupported {{{{ {closing} }}}}")
                otherwise, i, closing = parse(tokens, i, ("end",))
                break
            nodes.append((word, branches, otherwise))
        elif word == "define":
            name = json.loads(rest)
            body_nodes, i, _ = parse(tokens, i, ("end",))
            nodes.append(("define", name, body_nodes))
        elif re.match(r"^\$\w+\s*:?=", body):
            var, expr = re.split(r"\s*:?=\s*", body, maxsplit=1)
            nodes.append(("assign", var, expr))
        elif word in ("range", "template", "block", "break", "continue"):
            raise TemplateError(f"{word} is not supported by helm_lite")
        else:
            nodes.append(("action", body))
    if stop:
        raise TemplateError("missing {{ end }}")
    return nodes, i, None


TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||-?\d+|'
                   r'\$[\w.]*|\.[\w.]*|[A-Za-z_]\w*)')


def tokenize(expr):
    tokens, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise TemplateError(f"cannot parse {expr!r} at {expr[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


# --- evaluation -------------------------------------------------------------

def truthy(v):
    return not (v is None or v is False or v == 0 and not isinstance(v, bool)
                and isinstance(v, (int, float)) or v == "" or v == [] or
                v == {})


def to_yaml(v):
    if v is None:
        return "null"
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True,
                          allow_unicode=True).rstrip("\n")


def go_string(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return str(v)
    return str(v)


def indent(n, s):
    pad = " " * int(n)
    return pad + s.replace("\n", "\n" + pad)


def printf(fmt, *args):
    fmt = fmt.replace("%v", "%s")
    return fmt % tuple(go_string(a) if not isinstance(a, (int, float)) or
                       isinstance(a, bool) else a for a in args)


class Renderer:
    def __init__(self, root):
        self.root = root
        self.defines = {}
        self.files = {}

    def field(self, base, path):
        v = base
        for part in [p for p in path.split(".") if p]:
            if isinstance(v, dict):
                v = v.get(part)
            else:
                return None
        return v

    def operand(self, tok, dot, scope):
        if tok.startswith('"'):
            return json.loads(tok)
        if tok.startswith("`"):
            return tok[1:-1]
        if re.fullmatch(r"-?\d+", tok):
            return int(tok)
        if tok in ("true", "false"):
            return tok == "true"
        if tok == "nil":
            return None
        if tok.startswith("."):
            return self.field(dot, tok)
        if tok.startswith("$"):
            name, _, path = tok.partition(".")
            if name == "$":
                return self.field(self.root, path)
            if name not in scope:
                raise TemplateError(f"undefined variable {name}")
            return self.field(scope[name], path)
        raise TemplateError(f"unknown operand {tok}")

    def pipeline(self, tokens, dot, scope):
        commands, current, depth = [], [], 0
        for t in tokens:
            if t == "(":
                depth += 1
            elif t == ")":
                depth -= 1
            if t == "|" and depth == 0:
                commands.append(current)
                current = []
            else:
                current.append(t)
        commands.append(current)
        value, piped = None, False
        for command in commands:
            args = self.arguments(command, dot, scope)
            if piped:
                args.append(("value", value))
            value = self.call(args, command)
            piped = True
        return value

    def arguments(self, command, dot, scope):
        """[function name or value, args...] with parentheses evaluated."""
        out, i = [], 0
        while i < len(command):
            t = command[i]
            if t == "(":
                depth, j = 1, i + 1
                while depth:
                    depth += {"(": 1, ")": -1}.get(command[j], 0)
                    j += 1
                out.append(("value", self.pipeline(command[i + 1:j - 1], dot,
                                                   scope)))
                i = j
                continue
            if re.fullmatch(r"[A-Za-z_]\w*", t) and t not in ("true", "false",
                                                             "nil"):
                out.append(("func", t))
            else:
                out.append(("value", self.operand(t, dot, scope)))
            i += 1
        return out

    def call(self, args, command):
        if not args:
            raise TemplateError("empty command")
        kind, head = args[0]
        values = [v for _, v in args[1:]]
        if kind == "value":
            if values:
                raise TemplateError(f"{command}: a value takes no arguments")
            return head
        funcs = {
            "include": lambda name, dot: self.include(name, dot),
            "print": lambda *a: "".join(go_string(x) for x in a),
            "printf": printf,
            "quote": lambda *a: " ".join(json.dumps(go_string(x),
                                                    ensure_ascii=False)
                                         for x in a),
            "default": lambda d, v=None: v if truthy(v) else d,
            "toYaml": to_yaml,
            "indent": lambda n, s: indent(n, go_string(s)),
            "nindent": lambda n, s: "\n" + indent(n, go_string(s)),
            "trunc": lambda n, s: go_string(s)[:n],
            "trimSuffix": lambda suf, s: go_string(s)[:-len(suf)]
            if suf and go_string(s).endswith(suf) else go_string(s),
            "sha256sum": lambda s: hashlib.sha256(
                go_string(s).encode()).hexdigest(),
            "eq": lambda a, *b: any(a == x for x in b),
            "ne": lambda a, b: a != b,
            "gt": lambda a, b: a > b,
            "lt": lambda a, b: a < b,
            "int": lambda v: int(v or 0),
            "not": lambda v: not truthy(v),
            "and": lambda *a: next((x for x in a if not truthy(x)), a[-1]),
            "or": lambda *a: next((x for x in a if truthy(x)), a[-1]),
        }
        if head not in funcs:
            raise TemplateError(f"function {head} is not supported by "
                                "helm_lite")
        return funcs[head](*values)

    def include(self, name, dot):
        if name in self.defines:
            return self.execute(self.defines[name], dot, {})
        if name in self.files:
            return self.execute(self.files[name], dot, {})
        raise TemplateError(f"no template {name!r}")

    def execute(self, nodes, dot, scope):
        scope = dict(scope)
        out = []
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "action":
                out.append(go_string(self.pipeline(tokenize(node[1]), dot,
                                                   scope)))
            elif kind == "assign":
                scope[node[1]] = self.pipeline(tokenize(node[2]), dot, scope)
            elif kind == "define":
                pass
            elif kind in ("if", "with"):
                for cond, body in node[1]:
                    v = self.pipeline(tokenize(cond), dot, scope)
                    if truthy(v):
                        out.append(self.execute(body, v if kind == "with"
                                                else dot, scope))
                        break
                else:
                    out.append(self.execute(node[2], dot, scope))
        return "".join(out)

    def collect_defines(self, nodes):
        for node in nodes:
            if node[0] == "define":
                self.defines[node[1]] = node[2]


def merge(base, override):
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def render_chart(chart_dir, overrides=None, release="sejf-test"):
    with open(os.path.join(chart_dir, "Chart.yaml")) as f:
        chart = yaml.safe_load(f)
    with open(os.path.join(chart_dir, "values.yaml")) as f:
        values = merge(yaml.safe_load(f) or {}, overrides)
    name = chart["name"]
    base = f"{name}/templates"
    root = {
        "Values": values,
        "Chart": {"Name": chart["name"], "Version": chart["version"],
                  "AppVersion": chart.get("appVersion", "")},
        "Release": {"Name": release, "Namespace": "default",
                    "Service": "Helm", "IsInstall": True},
        "Template": {"BasePath": base},
        "Capabilities": {},
    }
    r = Renderer(root)
    tdir = os.path.join(chart_dir, "templates")
    for file in sorted(os.listdir(tdir)):
        with open(os.path.join(tdir, file)) as f:
            nodes, _, _ = parse(lex(f.read()), 0, ())
        r.files[f"{base}/{file}"] = nodes
        r.collect_defines(nodes)
    rendered = {}
    for path, nodes in r.files.items():
        if os.path.basename(path).startswith("_") or not path.endswith(
                (".yaml", ".yml")):
            continue
        root["Template"]["Name"] = path
        rendered[path] = r.execute(nodes, root, {})
    return rendered
