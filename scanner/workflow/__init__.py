"""The workflow around a scan or an audit, between the commands and the layers below: running the
sources, rules and accepted risks together (``scan``, ``audit``), configuration, suppressions and
baselines, report outputs, the Checkov bridge, ``diff``, and the rule catalogue and docs."""
