import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build under mmseg's default scope, as configs and runners do."""
    init_default_scope('mmseg')
