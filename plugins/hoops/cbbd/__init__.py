"""CollegeBasketballData (CBBD) API -> lakehouse: the endpoint catalog and the code that sweeps it.

Modules import what they need (`from hoops.cbbd import catalog`); nothing is imported here, so DAG
parsing does not pay for pyarrow.
"""
