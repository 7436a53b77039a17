"""The apps a script runs inside an emulated namespace, one module per tool.

Design note
-----------
Everything runs on the emulator's virtual clock: ``ping -c 3`` advances it by about two
seconds, ``sleep 5`` by five (FDB ageing and neighbour timers fire meanwhile), and a
foreground ``tcpdump`` without ``-c`` stops when the lab has no traffic left (there is no
Ctrl-C in a script) and says so. Output follows the real tools' layout (iputils ``ping`` and
``arping``, ``tcpdump -n``) with virtual times.

Modules: ``ping`` and ``arping`` (iputils), ``tcpdump`` (options, the capture and its
lifetime), ``tcpdump_filter`` (the pcap-filter(7) subset), ``tcpdump_print`` (one line per
frame, as ``tcpdump -n [-e]`` prints it), ``sleep`` and ``sysctl`` (procps). The command
table that names them is ``vnetlab.script.commands.COMMANDS``; nothing registers itself.
"""
