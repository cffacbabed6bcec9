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
