"""``vnetlab lint``: find a lab's failure modes and security exposures before it is built.

Pure: imports only ``vnetlab.model``, ``vnetlab.wire`` and ``vnetlab.openflow``. The rules
are one table (``vnetlab.lint.rules.RULES``), implemented by one module per family
(``vnetlab.lint.runner.FAMILIES``); findings are the model loader's ``Problem`` tagged
with a rule id, so they print as ``lab.yaml:LINE: YAML.PATH: ...``. Typical use::

    from vnetlab.lint.runner import lint_file
    result = lint_file("lab.yaml")
    for f in result.findings:
        print(f.render(result.source))
"""
