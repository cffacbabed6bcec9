"""mmengine's Runner with what every entry point of ours should get.

Configs select it with ``runner_type = 'mmseg_encnet.Runner'`` (our
``_base_`` runtimes do), so ``tools/train.py``, mmseg's own tools and
``mim train`` all build it the same way.
"""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.model import is_model_wrapper, revert_sync_batchnorm
from mmengine.runner import BaseLoop, CheckpointLoader
from mmengine.runner import Runner as MMEngineRunner
from mmengine.runner import find_latest_checkpoint
from torch import nn

from .. import checkpoint as safe_checkpoint
from ..compat import save_checkpoint_on_this_rank
from ..registry import RUNNERS
from .config_check import check_config, check_data
from .hooks import CrashCheckpointHook
from .launch import setup_distributed


@RUNNERS.register_module()
class Runner(MMEngineRunner):
    """mmengine's ``Runner`` that checks its config, resumes and launches
    exactly, and loses nothing on a fault (docs/design.md lists each change
    and why).

    Config keys of its own, besides mmengine's:
        compile (bool | dict): ``torch.compile`` the network's forward
            (:func:`compile_network`), not the whole training step.
        channels_last (bool): Put the model in channels-last memory format
            before it is wrapped.
        crash_checkpoint (bool): Register :class:`~.hooks.CrashCheckpointHook`
            (default True).
    """

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'Runner':
        check_config(cfg)
        if cfg.get('resume'):
            _seed_from_resumed_run(cfg)
        setup_distributed(cfg)
        return super().from_cfg(cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[dict],
                   model: torch.nn.Module) -> torch.nn.Module:
        if self.cfg.get('channels_last'):
            model = model.to(memory_format=torch.channels_last)
        if self.distributed and not torch.cuda.is_available():
            # DDP refuses SyncBN off GPUs (mmengine reverts it only when not
            # distributed): each CPU rank normalises its own batch instead
            model = revert_sync_batchnorm(model)
            self.logger.warning('no CUDA: SyncBN layers run as BN, over '
                                'each rank\'s own batch')
        return super().wrap_model(model_wrapper_cfg, model)

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict: bool = False,
                        **kwargs) -> dict:
        """mmengine's; outside training (test, val) the checkpoint must fit
        the model exactly: missing, unexpected or misshaped keys are an error
        that lists them, not a warning before evaluating a partly random
        model."""
        training = isinstance(self._train_loop, BaseLoop)
        return super().load_checkpoint(
            filename, map_location, strict=strict or not training, **kwargs)

    def _maybe_compile(self, target: str) -> None:  # compat.COMPILE_METHOD
        """``compile`` of the config (``True``, or ``torch.compile``'s
        arguments as a dict) compiles the network's forward
        (:func:`compile_network`), not mmengine's whole ``train_step``."""
        options = self.cfg.get('compile')
        if not options:
            return
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        compile_network(model, **({} if options is True else options))
        self.logger.info('compiled the forward of the backbone, neck and '
                         'heads; the first iterations include compiling')

    @property
    def iter(self) -> int:
        """Iterations trained so far; 0 while no training loop is built."""
        if isinstance(self._train_loop, BaseLoop):
            return self._train_loop.iter
        return 0

    def register_hooks(self,
                       default_hooks: Optional[dict] = None,
                       custom_hooks: Optional[list] = None) -> None:
        super().register_hooks(default_hooks, custom_hooks)
        if self.cfg.get('crash_checkpoint', True) and not any(
                isinstance(hook, CrashCheckpointHook) for hook in self.hooks):
            self.register_hook(CrashCheckpointHook())

    def train(self):
        check_data(self.cfg, ('train_dataloader', 'val_dataloader'))
        try:
            return super().train()
        except BaseException as error:  # mmengine has no hook for a failure
            self.call_hook('after_train_failure', error=error)
            raise

    def val(self) -> dict:
        check_data(self.cfg, ('val_dataloader', ))
        return super().val()

    def test(self) -> dict:
        check_data(self.cfg, ('test_dataloader', ))
        return super().test()

    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        *args,
                        any_rank: bool = False,
                        **kwargs) -> None:
        """mmengine's, written atomically; as there, only rank 0 writes,
        unless ``any_rank`` (a crash checkpoint of the rank that failed).

        Raises:
            CheckpointWriteError: The file could not be written (a full
                disk); nothing was left behind.
        """
        if not (any_rank or is_main_process()):
            return
        if not osp.isdir(out_dir):  # a remote backend: its own semantics
            return super().save_checkpoint(out_dir, filename, *args, **kwargs)
        path = osp.join(out_dir, filename)
        with safe_checkpoint.atomic_write(
                path, self._checkpoint_nbytes,
                find_latest_checkpoint(self.work_dir)) as partial:
            save_checkpoint_on_this_rank(self, out_dir, osp.basename(partial),
                                         *args, **kwargs)

    def _checkpoint_nbytes(self) -> int:
        return safe_checkpoint.state_nbytes(
            [self.model.state_dict(),
             self.optim_wrapper.state_dict()])


def compile_network(model: nn.Module, **options) -> None:
    """``torch.compile`` the ``forward`` of a segmentor's backbone, neck and
    heads, in place.

    Losses, gradient clipping and the optimizer step stay eager, and
    autocast (``--amp``) wraps the compiled forward as it wraps the eager
    one. mmengine's ``compile`` wraps the whole ``train_step``, optimizer
    step and clipping included.
    """
    for name in ('backbone', 'neck', 'decode_head', 'auxiliary_head'):
        module = getattr(model, name, None)
        heads = module if isinstance(module, nn.ModuleList) else [module]
        for head in filter(None, heads):
            head.forward = torch.compile(head.forward, **options)


def _resume_from(cfg: Config) -> Optional[str]:
    """The checkpoint mmengine's ``load_or_resume`` will resume from."""
    if cfg.get('load_from'):
        return cfg.load_from
    work_dir = cfg.get('work_dir')
    if work_dir is None or not osp.isdir(work_dir):
        return None
    safe_checkpoint.check_resumable(work_dir)
    return find_latest_checkpoint(work_dir)


def _seed_from_resumed_run(cfg: Config) -> None:
    """Without ``randomness.seed``, take the resumed checkpoint's seed."""
    randomness = cfg.get('randomness') or {}
    if randomness.get('seed') is not None:
        return
    resume_from = _resume_from(cfg)
    if resume_from is None:
        return
    checkpoint = CheckpointLoader.load_checkpoint(resume_from, 'cpu')
    seed = checkpoint.get('meta', {}).get('seed')
    if seed is not None:
        cfg.randomness = dict(randomness, seed=seed)
