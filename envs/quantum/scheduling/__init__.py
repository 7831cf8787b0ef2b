"""``netgym/QuantumNetworkScheduling-v0``: which demand to serve, on which path, with how many
pumping rounds, in a multi-user quantum network (Skrzypczyk & Wehner's QoS setting).

``params`` (``SchedulingParams``, the link table), ``demands`` (demands and job releases),
``purification`` (the pumping scheme of each action), ``sim`` (the slot-level dynamics),
``metrics`` (the QoS paper's metrics) and ``env`` (the Gymnasium env). The main names are
exported lazily by ``netgym.envs.quantum``.
"""
