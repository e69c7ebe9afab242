"""What defcore plugs into OpenStack services so that they run on one machine without hardware.

Each module fakes one thing a real cloud gets from hardware or from agents, and says in its
docstring what it fakes and why.
"""
