"""OVSDB for the emulator and the lab model: the Open_vSwitch schema (``schema.py``,
``vswitch_schema.py``), an in-memory database with transactions (``db.py``), ``ovs-vsctl``
over it (``vsctl.py``) and the commands that build a lab's bridges (``commands.py``).
Pure: imports only the standard library (and ``vnetlab.model`` in ``commands.py``)."""
