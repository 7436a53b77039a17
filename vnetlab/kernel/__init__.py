"""The linux engine: labs on the real kernel, in namespaces they own.

Public API (see each module's design note):

* ``plan.plan(lab, prefix=, run_id=) -> list[Op]`` and ``plan.plan_script(lab)`` (pure);
* ``engine.LinuxEngine`` (the ``vnetlab.engine.Engine`` protocol, plus ``exec``,
  ``attach``, ``flush_neighbours``, ``ping_batches``), ``engine.down``,
  ``engine.status``;
* ``gc.gc()`` / ``gc.orphans()``; ``limits`` (neighbour-table budget); ``features``
  (which device kinds this kernel builds).

Submodules are imported explicitly; nothing registers itself on import.
"""
