"""The linux engine: labs on the real kernel, in namespaces they own.

Public API (see each module's design note):

* ``plan.plan(lab, prefix=, run_id=) -> list[Op]`` and ``plan.plan_script(lab)`` (pure);
* ``engine.LinuxEngine`` (the ``vnetlab.engine.Engine`` protocol, plus ``exec``,
  ``attach``, ``flush_neighbours``, ``ping_batches``), ``engine.down``,
  ``engine.status``;
* ``gc.gc()`` / ``gc.orphans()``; ``limits`` (neighbour-table budget); ``features``
  (which device kinds this kernel builds);
* ``kinds.KINDS``: one ``KernelKind`` per model kind (``kinds/<kind>.py``: its ops,
  realizer, probe and observe decoders); ``ops``: the generic ops, each with its
  ``shell()`` and ``apply()``.

Submodules are imported explicitly; nothing registers itself on import.
"""
