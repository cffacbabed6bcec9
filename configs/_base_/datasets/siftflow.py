# SIFT Flow, 33 classes, as tools/dataset_converters/siftflow.py writes it
# (unlabeled = 255, ignored); training: scale 0.5-2, 256x256 crops, flip,
# photometric noise; val/test: whole images.
dataset_type = 'mmseg_encnet.SiftFlowDataset'
data_root = 'data/siftflow'
crop_size = (256, 256)
# Per-class loss weights: sqrt(median / frequency) of the classes' pixel
# frequencies in train/ (at most 5), scaled to a pixel-weighted mean of 1
# (tests/test_datasets/test_siftflow.py recomputes them from the data).
class_weight = [
    9.33, 7.83, 20.93, 13.74, 5.67, 0.6, 19.05, 2.44, 20.93, 9.31, 4.04, 4.19,
    6.82, 1.54, 1.82, 20.93, 0.74, 6.32, 2.11, 16.18, 2.07, 0.98, 2.61, 2.44,
    1.12, 2.75, 10.79, 0.52, 9.07, 11.62, 20.93, 0.78, 2.96
]
# Per-class weights of the SE-loss where a class is present: (1 - p) / p for
# a class present in a fraction p of the train/ images (at most 50), so that
# a rare class's presence weighs as much as its absence (tests recompute it).
se_pos_weight = [
    35.0, 50.0, 50.0, 28.37, 28.37, 1.19, 50.0, 3.27, 50.0, 50.0, 50.0, 9.89,
    17.92, 9.83, 9.33, 50.0, 1.62, 6.94, 6.94, 29.16, 9.15, 2.18, 8.66, 15.66,
    6.02, 4.98, 11.68, 0.17, 38.86, 11.06, 48.6, 1.0, 6.7
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(256, 256),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    train_dataloader,
    batch_size=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        train_dataloader['dataset'],
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'],
        data_prefix=dict(img_path='img_dir/test',
                         seg_map_path='ann_dir/test')))
# aAcc, mIoU and mAcc: the literature's pixel accuracy, mean IoU and mean
# class accuracy
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
