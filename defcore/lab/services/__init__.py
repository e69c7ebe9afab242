"""The lab's services, one module each, every one exporting `SERVICE` (see `base`).

`defcore.lab.plan` lists them; this package imports none of them, so that importing `base`
loads no service (and no service imports its OpenStack project before it runs).
"""
