"""An ML2 mechanism driver that binds every port at once, for a lab without network agents.

What it fakes: the Open vSwitch agent's side of port binding. In a real cloud an agent on each
compute host reports its bridges, and the Open vSwitch mechanism driver binds a port only to a
host whose agent is alive; the port turns ACTIVE when the agent has wired it. The lab runs no
agent (no Open vSwitch, no root), so no port would ever be bound and Nova could not boot a
server. This driver binds any port that names a host, on the first segment of its network, with
vif_type "ovs", and marks it ACTIVE, so scheduling, port binding and attachment go through
Neutron's real ML2 code. Nothing is wired: the hypervisor of the lab does its own plumbing.

Registered as `defcore_binding` under the `neutron.ml2.mechanism_drivers` entry point.
"""

from __future__ import annotations

from typing import Any

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api

VIF_TYPE = portbindings.VIF_TYPE_OVS


class BindEveryPortDriver(api.MechanismDriver):  # type: ignore[misc]
    """Bind every port that asks for a host; keep no state of its own."""

    def initialize(self) -> None:
        """Nothing to set up: there is no agent to find."""

    @property
    def connectivity(self) -> str:
        return str(portbindings.CONNECTIVITY_L2)

    def bind_port(self, context: Any) -> None:
        # ML2 calls this only for a port with binding:host_id set (Nova sets it at boot).
        for segment in context.segments_to_bind:
            context.set_binding(
                segment[api.ID],
                VIF_TYPE,
                {portbindings.CAP_PORT_FILTER: True, portbindings.OVS_HYBRID_PLUG: False},
                status=constants.PORT_STATUS_ACTIVE,
            )
            return
