# What mmseg_encnet adds to any runtime (no keys of mmseg's own configs, so
# it stacks on top of them as a second base): the plugin import, our Runner
# (the config is checked before the build, checkpoints are written
# atomically, --resume keeps the run's seed; selected here, so mmseg's tools
# and `mim train` get it too), a check of every training image/label pair
# before training, a stop at the first non-finite loss (before the checkpoint
# of that iteration is written) and RNG states in checkpoints (so that
# --resume continues exactly where the run stopped).
custom_imports = dict(imports=['mmseg_encnet'], allow_failed_imports=False)
runner_type = 'mmseg_encnet.Runner'
custom_hooks = [
    dict(type='mmseg_encnet.DataCheckHook'),
    dict(type='mmseg_encnet.NonFiniteLossHook'),
    dict(type='mmseg_encnet.RNGStateHook'),
    dict(type='mmseg_encnet.PreemptionHook')
]
