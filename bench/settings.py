"""Settings for `make bench-submit`: the production settings plus the baseline view.

Everything still comes from the environment (qms.settings); this module only adds the
`bench` app (one table, one view) so the baseline runs in the same server, under the
same middleware, database and cache as the public form. Never used outside bench/.
"""

from qms.settings import *  # noqa: F403
from qms.settings import INSTALLED_APPS

ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
