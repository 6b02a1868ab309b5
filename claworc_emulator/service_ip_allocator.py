"""Cluster-IP and node-port allocation for Services."""

from __future__ import annotations

import ipaddress
import random

NODE_PORT_MIN, NODE_PORT_MAX = 30000, 32767
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


class ServiceIpAllocator:
    """Cluster IPs from the service CIDR and node ports from 30000–32767: random free ones
    (seeded, so runs repeat), or the requested one, with the apiserver's messages when taken.
    """

    def __init__(self) -> None:
        self.node_ports: set[int] = set()
        self.cluster_ips: set[str] = {"10.96.0.1", "10.96.0.10"}
        self._rng = random.Random(1234)

    def ip_error(self, ip: str) -> str | None:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return "must be a valid IP address"
        if addr not in SERVICE_CIDR:
            return (
                f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid "
                f"range. The range of valid IPs is {SERVICE_CIDR}"
            )
        if ip in self.cluster_ips:
            return f"failed to allocate IP {ip}: provided IP is already allocated"
        return None

    def new_ip(self) -> str:
        while True:
            n = self._rng.randrange(2, SERVICE_CIDR.num_addresses - 1)
            ip = str(SERVICE_CIDR.network_address + n)
            if ip not in self.cluster_ips:
                return ip

    def port_error(self, port: int) -> str | None:
        if not NODE_PORT_MIN <= port <= NODE_PORT_MAX:
            return (
                f"provided port is not in the valid range. The range of valid ports is "
                f"{NODE_PORT_MIN}-{NODE_PORT_MAX}"
            )
        if port in self.node_ports:
            return "provided port is already allocated"
        return None

    def new_port(self, avoid: set[int]) -> int:
        free = NODE_PORT_MAX - NODE_PORT_MIN + 1 - len(self.node_ports | avoid)
        if free <= 0:
            raise RuntimeError("range is full")
        while True:
            port = self._rng.randint(NODE_PORT_MIN, NODE_PORT_MAX)
            if port not in self.node_ports and port not in avoid:
                return port
