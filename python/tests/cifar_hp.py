"""The CIFAR-100 space of hyperopt's tutorial optimizer, written with hp.*
as the tutorial writes it (it compiles to tests/data/cifar100.json), and
a cheap deterministic objective over it for tests that run many trials."""
import math

from parzen import STATUS_OK, hp

space = {
    'lr_rate_mult': hp.loguniform('lr_rate_mult', -0.5, 0.5),
    'l2_weight_reg_mult': hp.loguniform('l2_weight_reg_mult', -1.3, 1.3),
    'batch_size': hp.quniform('batch_size', 100, 450, 5),
    'optimizer': hp.choice('optimizer', ['Adam', 'Nadam', 'RMSprop']),
    'coarse_labels_weight': hp.uniform('coarse_labels_weight', 0.1, 0.7),
    'conv_dropout_drop_proba': hp.uniform('conv_dropout_proba', 0.0, 0.35),
    'fc_dropout_drop_proba': hp.uniform('fc_dropout_proba', 0.0, 0.6),
    'use_BN': hp.choice('use_BN', [False, True]),
    'first_conv': hp.choice(
        'first_conv', [None, hp.choice('first_conv_size', [3, 4])]),
    'residual': hp.choice(
        'residual', [None, hp.quniform('residual_units', 1 - 0.499,
                                       4 + 0.499, 1)]),
    'conv_hiddn_units_mult': hp.loguniform('conv_hiddn_units_mult', -0.6,
                                           0.6),
    'nb_conv_pool_layers': hp.choice('nb_conv_pool_layers', [2, 3]),
    'conv_pool_res_start_idx': hp.quniform('conv_pool_res_start_idx', 0, 2,
                                           1),
    'pooling_type': hp.choice('pooling_type',
                              ['max', 'avg', 'all_conv', 'inception']),
    'conv_kernel_size': hp.quniform('conv_kernel_size', 2, 4, 1),
    'res_conv_kernel_size': hp.quniform('res_conv_kernel_size', 2, 4, 1),
    'fc_units_1_mult': hp.loguniform('fc_units_1_mult', -0.6, 0.6),
    'one_more_fc': hp.choice(
        'one_more_fc', [None, hp.loguniform('fc_units_2_mult', -0.6, 0.6)]),
    'activation': hp.choice('activation', ['relu', 'elu']),
}


def optimize_cnn(p):
    """A stand-in for training: a smooth function of the point with its
    best near lr 1, l2 1, batch 300, dropout 0.2/0.3, BN, residual 2."""
    loss = math.log(p['lr_rate_mult']) ** 2 + \
        0.5 * math.log(p['l2_weight_reg_mult']) ** 2 + \
        ((p['batch_size'] - 300) / 350.0) ** 2 + \
        (p['conv_dropout_drop_proba'] - 0.2) ** 2 + \
        (p['fc_dropout_drop_proba'] - 0.3) ** 2 + \
        0.1 * (not p['use_BN']) + \
        0.05 * ['Adam', 'Nadam', 'RMSprop'].index(p['optimizer']) + \
        (0.1 if p['residual'] is None else (p['residual'] - 2) ** 2 / 10) + \
        (0.0 if p['first_conv'] is None else (p['first_conv'] - 3) / 20) + \
        0.02 * p['conv_kernel_size'] + 0.01 * p['res_conv_kernel_size'] + \
        abs(math.log(p['conv_hiddn_units_mult'])) + \
        abs(math.log(p['fc_units_1_mult'])) + \
        (0.0 if p['one_more_fc'] is None else
         abs(math.log(p['one_more_fc'])) + 0.05)
    return {'loss': loss, 'status': STATUS_OK,
            'model_name': "model_%.6f" % loss,
            'space': dict(p)}
