"""The annual assessment cycle (考核周期): states and transitions, roles and scope, and the work
each party does — submissions, verification, findings and appeals, rectification, results.

Importing this package installs the lock that keeps approved data unchanged.
"""

from . import locks

locks.install()
