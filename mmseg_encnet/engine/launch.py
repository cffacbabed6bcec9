"""The distributed set-up that our Runner applies: the Slurm rendezvous
and gloo on machines without CUDA."""
import os
import subprocess
from datetime import timedelta
from typing import Dict, Mapping

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log

# Slurm jobs without MASTER_PORT meet on PORT_BASE + job id % PORT_RANGE:
# below Linux's ephemeral ports (32768-60999), so no client socket holds it.
PORT_BASE = 12000
PORT_RANGE = 20000


def slurm_environment(env: Mapping[str, str]) -> Dict[str, str]:
    """The ``torch.distributed`` variables of a Slurm task, from ``SLURM_*``.

    ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` are the task's
    ``SLURM_PROCID``, ``SLURM_NTASKS`` and ``SLURM_LOCALID``;
    ``MASTER_ADDR`` is the first host of the step's node list (where rank 0
    runs); ``MASTER_PORT`` is ``MASTER_PORT`` of the environment or, without
    it, ``PORT_BASE + job id % PORT_RANGE``, so that two jobs sharing a node
    do not meet on one port (mmengine's default is 29500 for every job).
    ``MASTER_ADDR`` of the environment is kept too.
    """
    nodelist = env.get('SLURM_STEP_NODELIST') or env['SLURM_NODELIST']
    if 'MASTER_ADDR' in env:
        addr = env['MASTER_ADDR']
    else:
        hosts = subprocess.run(['scontrol', 'show', 'hostnames', nodelist],
                               capture_output=True,
                               text=True,
                               check=True)
        addr = hosts.stdout.split()[0]
    port = env.get('MASTER_PORT') or str(PORT_BASE +
                                         int(env['SLURM_JOB_ID']) % PORT_RANGE)
    return dict(
        RANK=env['SLURM_PROCID'],
        WORLD_SIZE=env['SLURM_NTASKS'],
        LOCAL_RANK=env.get('SLURM_LOCALID', '0'),
        MASTER_ADDR=addr,
        MASTER_PORT=port)


def setup_distributed(cfg: Config) -> None:
    """What mmengine's launchers need on top of mmengine 0.10.

    ``slurm``: the rendezvous variables of :func:`slurm_environment`, which
    mmengine's slurm launcher then uses as they are (with CUDA its NCCL path
    runs unchanged). Without CUDA, mmengine's ``pytorch`` and ``slurm``
    launchers call ``torch.cuda.set_device`` and wrap the model in DDP with
    ``device_ids=[LOCAL_RANK]``; both fail. There the process group is
    started here on gloo (the runner then skips its own start), DDP gets
    ``device_ids=None`` and a Slurm task uses ``SLURM_CPUS_PER_TASK``
    threads. Without a launcher, nothing changes.
    """
    launcher = cfg.get('launcher')
    if launcher == 'slurm':
        env = slurm_environment(os.environ)
        os.environ.update(env)
        print_log(
            f"slurm job {os.environ['SLURM_JOB_ID']}: rank {env['RANK']} of "
            f"{env['WORLD_SIZE']} on node "
            f"{os.environ.get('SLURMD_NODENAME', '?')}, meeting at "
            f"{env['MASTER_ADDR']}:{env['MASTER_PORT']}",
            logger='current')
        if 'SLURM_CPUS_PER_TASK' in os.environ and \
                not torch.cuda.is_available():
            torch.set_num_threads(int(os.environ['SLURM_CPUS_PER_TASK']))
    if launcher not in ('pytorch', 'slurm') or torch.cuda.is_available():
        return
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        timeout = dist_cfg.get('timeout', 1800)
        torch_dist.init_process_group(
            backend='gloo', timeout=timedelta(seconds=timeout))
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
