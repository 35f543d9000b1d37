"""The dev kit: replay server, local runners and the `hoops` command.

Imports hoops; hoops never imports it.
"""
