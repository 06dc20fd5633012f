#!/usr/bin/python3
"""helm_lite renders what Go's text/template and Helm would, for the
constructs the chart uses. The expected outputs follow the documented
behaviour of text/template and Sprig; they were not produced by a helm run
(helm is not installable here)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helm_lite  # noqa: E402


def render(template, values="", helpers=""):
    with tempfile.TemporaryDirectory() as chart:
        os.mkdir(os.path.join(chart, "templates"))
        with open(os.path.join(chart, "Chart.yaml"), "w") as f:
            f.write("apiVersion: v2\nname: c\nversion: 1.2.3\n"
                    "appVersion: \"9.9\"\n")
        with open(os.path.join(chart, "values.yaml"), "w") as f:
            f.write(values)
        with open(os.path.join(chart, "templates", "t.yaml"), "w") as f:
            f.write(template)
        with open(os.path.join(chart, "templates", "_h.tpl"), "w") as f:
            f.write(helpers)
        return helm_lite.render_chart(chart, release="r")["c/templates/t.yaml"]


class HelmLiteTest(unittest.TestCase):
    def test_trim_markers_eat_whitespace_and_newlines(self):
        self.assertEqual(render("a:\n  {{- 1 }}\nb: {{ 2 -}}\n  c"),
                         "a:1\nb: 2c")

    def test_comments_render_nothing(self):
        self.assertEqual(render("{{/* hi */}}x"), "x")

    def test_if_else_and_with_rebinds_dot(self):
        t = ("{{- if .Values.enabled }}on{{ else }}off{{ end }} "
             "{{ with .Values.m }}{{ .k }}{{ else }}none{{ end }}")
        self.assertEqual(render(t, "enabled: false\nm: {k: v}\n"), "off v")
        self.assertEqual(render(t, "enabled: 1\nm: {}\n"), "on none")

    def test_else_if(self):
        t = "{{ if eq .Values.x 1 }}a{{ else if eq .Values.x 2 }}b{{ else }}c{{ end }}"
        self.assertEqual(render(t, "x: 2\n"), "b")
        self.assertEqual(render(t, "x: 3\n"), "c")

    def test_include_nindent_and_to_yaml(self):
        helpers = '{{- define "l" -}}\na: {{ .Chart.Name }}\nb: 1\n{{- end -}}'
        t = 'm:\n  {{- include "l" . | nindent 2 }}\nv: {{- toYaml .Values.v | nindent 2 }}'
        self.assertEqual(render(t, "v: {z: [1, 2], a: x}\n", helpers),
                         "m:\n  a: c\n  b: 1\nv:\n  a: x\n  z:\n  - 1\n  - 2")

    def test_functions(self):
        t = ('{{ .Values.t | default .Chart.AppVersion }} {{ "x" | quote }} '
             '{{ printf "%s-%s" .Release.Name "abcdef" | trunc 5 | trimSuffix "-" }} '
             '{{ gt (int .Values.n) 1 }} {{ and 1 0 }} {{ or 0 "" "y" }} {{ not .Values.t }}')
        self.assertEqual(render(t, 't: ""\nn: 3\n'), '9.9 "x" r-abc true 0 y true')

    def test_variables_and_root(self):
        t = '{{- $p := eq .Values.b "pg" }}{{ with .Values.m }}{{ $p }} {{ $.Chart.Version }}{{ end }}'
        self.assertEqual(render(t, "b: pg\nm: 1\n"), "true 1.2.3")

    def test_unsupported_constructs_are_errors(self):
        with self.assertRaises(helm_lite.TemplateError):
            render("{{ range .Values.l }}x{{ end }}", "l: [1]\n")
        with self.assertRaises(helm_lite.TemplateError):
            render("{{ lower .Values.s }}", "s: A\n")
        with self.assertRaises(helm_lite.TemplateError):
            render("{{ if 1 }}x")


if __name__ == "__main__":
    unittest.main()
