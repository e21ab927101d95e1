"""Accessibility helpers for the browser tests: axe-core (from npm, ``static/vendor/axe-core``) injected
into a page, and the findings collected for one readable report at the end of a test.

Under our strict CSP (``script-src 'self'``) ``page.add_script_tag()`` is blocked, with ``path=`` too (it
becomes an inline ``<script>``). ``page.evaluate(source)`` runs through the DevTools protocol, which the
page's CSP does not govern, so that is how axe gets in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from playwright.sync_api import Page
from serverproc import ROOT

AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
#: WCAG 2.1 A and AA (BITV 2.0), plus axe's best practices that are rated serious or critical.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"serious", "critical"}


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8") + "\n;undefined"


@dataclass
class Audit:
    """Runs axe on each screen and state; ``report()`` lists every serious or critical violation."""

    findings: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    #: Moderate and minor findings: reported, not failing.
    minor: list[str] = field(default_factory=list)

    def check(self, page: Page, state: str) -> None:
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(_axe_source())
        violations = page.evaluate(
            """async (tags) => {
                // Measure the settled page: a hover or focus transition half-way (a button that just
                // appeared under the mouse) has colours that no one reads.
                const finite = document.getAnimations()
                    .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity);
                await Promise.all(finite.map((a) => a.finished.catch(() => null)));
                const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
                const result = await axe.run(document, options);
                return result.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map((n) =>
                        n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(1, 2).join('')),
                    count: v.nodes.length,
                }));
            }""",
            TAGS,
        )
        self.checked.append(state)
        for violation in violations:
            if violation["impact"] not in BLOCKING:
                nodes = "; ".join(node.split(" — ")[0] for node in violation["nodes"][:3])
                self.minor.append(f"[{state}] {violation['impact']}: {violation['id']} ({violation['count']}): {nodes}")
                continue
            nodes = "\n".join(f"      {node}" for node in violation["nodes"])
            self.findings.append(
                f"[{state}] {violation['impact']}: {violation['id']} – {violation['help']} "
                f"({violation['count']} element(s))\n{nodes}"
            )

    def report(self) -> str:
        head = f"axe-core: {len(self.findings)} serious/critical violation(s) on {len(self.checked)} screens/states"
        return "\n".join([head, *self.findings, f"moderate/minor: {len(self.minor)}", *self.minor])

    def save(self, path) -> None:
        """Write the whole report (every state checked, every finding) as a test artefact."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.report() + "\nchecked:\n" + "\n".join(f"  {state}" for state in self.checked) + "\n")
