"""A namespace's IPv4 stack: addresses, FIB, ARP neighbours, input/forward/output, ICMP."""
