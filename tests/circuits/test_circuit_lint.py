"""circom --inspect lint (`zkcredits_testing.circuit_lint`): project warnings fail, the `_ <==` fix
silences them without a constraint, and only the listed circomlib warnings pass."""

from __future__ import annotations

from zkcredits_testing.circuit_lint import (
    UPSTREAM_WARNINGS,
    InspectorWarning,
    inspect_main,
    parse_warnings,
    problems,
    project_templates,
)

_LEAKY = """\
pragma circom 2.1.5;
include "bitify.circom";
template Leaky() {
    signal input in;
    component bits = Num2Bits(8);
    bits.in <== in;
%s}
component main = Leaky();
"""


def test_an_unused_subcomponent_output_in_a_project_template_fails_the_lint() -> None:
    found = inspect_main("leaky", _LEAKY % "")
    assert [(w.code, w.template) for w in found] == [("CA02", "Leaky")]
    assert "bits.out" in found[0].message
    assert problems(found, frozenset({"Leaky"})) == found


def test_the_underscore_assignment_silences_the_inspector() -> None:
    assert inspect_main("leaky_fixed", _LEAKY % "    _ <== bits.out;\n") == []


def test_only_the_listed_circomlib_warnings_pass() -> None:
    listed = InspectorWarning("CA02", "LessThan", 'In template "LessThan(64)": …')
    other_code = InspectorWarning("CA01", "LessThan", 'In template "LessThan(64)": …')
    other_template = InspectorWarning("CA02", "Mux1", 'In template "Mux1()": …')
    untemplated = InspectorWarning("CA02", "", "a warning naming no template")
    assert ("CA02", "LessThan") in UPSTREAM_WARNINGS
    found = [listed, other_code, other_template, untemplated]
    assert problems(found, frozenset({"Request"})) == [other_code, other_template, untemplated]
    # A project template of the same name as a listed one is never excused.
    assert problems([listed], frozenset({"LessThan"})) == [listed]


def test_warnings_are_parsed_from_coloured_output_with_their_template_base_name() -> None:
    output = (
        "\x1b[32mtemplate instances\x1b[0m: 3\n"
        "\x1b[0m\x1b[1m\x1b[38;5;11mwarning[CA02]\x1b[0m\x1b[1m: "
        'In template "EscalarMulFix(32,[1,2])": '
        "Array of subcomponent input/output signals segments[0].dbl contains a total of 2 signals"
        "\x1b[0m\n"
        "\x1b[32mEverything went okay\x1b[0m\n"
    )
    (warning,) = parse_warnings(output)
    assert (warning.code, warning.template) == ("CA02", "EscalarMulFix")
    assert warning.message.startswith('In template "EscalarMulFix(32,[1,2])"')


def test_project_templates_are_read_from_the_circuit_sources() -> None:
    own = project_templates()
    assert {"Request", "Withdraw", "Slash", "ScalarBelowOrder", "NoteMembership"} <= own
    assert "LessThan" not in own and "Num2Bits" not in own
