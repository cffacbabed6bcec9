# What the plugin adds to any runtime (no key of mmseg's configs, so it
# stacks on them as a second base); docs/design.md says what each part does.
custom_imports = dict(imports=['mmseg_encnet'], allow_failed_imports=False)
runner_type = 'mmseg_encnet.Runner'
custom_hooks = [
    dict(type='mmseg_encnet.DataCheckHook'),
    dict(type='mmseg_encnet.NonFiniteLossHook'),
    dict(type='mmseg_encnet.RNGStateHook'),
    dict(type='mmseg_encnet.PreemptionHook')
]
