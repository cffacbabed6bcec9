import os
import os.path as osp
import subprocess

import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build under mmseg's default scope, as configs and runners do."""
    init_default_scope('mmseg')


@pytest.fixture(scope='session')
def demo_data_root(tmp_path_factory):
    """The demo dataset, generated on first use by the dataset itself."""
    return str(tmp_path_factory.mktemp('data') / 'demo_street')


@pytest.fixture
def data_root(demo_data_root):
    return demo_data_root


CLUSTER = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), '.dev_scripts',
    'slurm_cluster.sh')


def cluster_is_up() -> bool:
    return subprocess.run(['bash', CLUSTER, 'status'],
                          capture_output=True).returncode == 0


@pytest.fixture(scope='session')
def cluster():
    """The two-node cluster: the one that is up, else one started here (as
    root) and stopped afterwards."""
    started = False
    if not cluster_is_up() and os.geteuid() == 0:
        started = subprocess.run(['bash', CLUSTER, 'up'],
                                 capture_output=True,
                                 timeout=600).returncode == 0
    if not cluster_is_up():
        message = (
            'no Slurm cluster: `sudo bash .dev_scripts/slurm_cluster.sh up` '
            'starts one')
        if os.environ.get('CI') == 'true':
            pytest.fail(message)
        pytest.skip(message)
    yield
    if started:
        subprocess.run(['bash', CLUSTER, 'down'])
