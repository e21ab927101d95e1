"""voting: option status and proposals, matrix ranges, running tallies

Revision ID: 6e007d408420
Revises: ce3810f63aca
Create Date: 2026-11-22 01:59:21.660754

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6e007d408420'
down_revision = 'ce3810f63aca'
branch_labels = None
depends_on = None

OPTION_STATUS = sa.Enum('pending', 'visible', 'hidden', name='optionstatus', native_enum=False, length=20)


def upgrade():
    op.create_table('tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('sum_x', sa.Integer(), nullable=False),
    sa.Column('sum_y', sa.Integer(), nullable=False),
    sa.CheckConstraint('entries >= 0', name=op.f('ck_tallies_entries_not_negative')),
    sa.ForeignKeyConstraint(['option_id'], ['options.id'], name=op.f('fk_tallies_option_id_options'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tallies')),
    sa.UniqueConstraint('option_id', 'value', name=op.f('uq_tallies_option_id_value'))
    )
    # Existing rows get a status from ``is_approved`` and a creation time; the defaults go afterwards.
    with op.batch_alter_table('options', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('status', OPTION_STATUS, nullable=False, server_default='visible'))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=False, server_default=sa.func.now()))
        batch_op.create_unique_constraint(batch_op.f('uq_options_proposed_by_id_client_id'), ['proposed_by_id', 'client_id'])
    op.execute("UPDATE options SET status = 'pending' WHERE NOT is_approved")
    with op.batch_alter_table('options', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None, existing_type=OPTION_STATUS, existing_nullable=False)
        batch_op.alter_column('created_at', server_default=None, existing_type=sa.DateTime(), existing_nullable=False)
        batch_op.drop_column('is_approved')
    with op.batch_alter_table('ballot_entries', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_ballot_entries_x_in_unit_range'), 'x IS NULL OR (x >= 0 AND x <= 1)')
        batch_op.create_check_constraint(op.f('ck_ballot_entries_y_in_unit_range'), 'y IS NULL OR (y >= 0 AND y <= 1)')
    # Tallies of ballots cast before this migration.
    op.execute(
        "INSERT INTO tallies (option_id, value, entries, sum_x, sum_y) "
        "SELECT option_id, value, COUNT(*), COALESCE(SUM(ROUND(x * 100)), 0), COALESCE(SUM(ROUND(y * 100)), 0) "
        "FROM ballot_entries GROUP BY option_id, value"
    )


def downgrade():
    with op.batch_alter_table('ballot_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ballot_entries_y_in_unit_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_ballot_entries_x_in_unit_range'), type_='check')
    with op.batch_alter_table('options', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_approved', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE options SET is_approved = (status = 'visible')")
    with op.batch_alter_table('options', schema=None) as batch_op:
        batch_op.alter_column('is_approved', server_default=None, existing_type=sa.Boolean(), existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_options_proposed_by_id_client_id'), type_='unique')
        batch_op.drop_column('created_at')
        batch_op.drop_column('status')
        batch_op.drop_column('client_id')

    op.drop_table('tallies')
