"""knowledge base, templates, announcements, surveys, retention

The tables of issue 7: knowledge-base articles (texts, topics, versions,
votes, uses), admin-edited message templates, announcements and their
deliveries, satisfaction surveys, per-desk policies and the record of
anonymised tickets.  On PostgreSQL the article texts also get full-text
indexes (GIN over ``to_tsvector``), one per language configuration and one
``simple``; SQLite searches with LIKE and needs none.  Nothing existing is
changed, so the downgrade drops exactly what the upgrade made.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 07:46:34.585481
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import servicedesk.models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# (index name, text search configuration, language the index covers or None)
FULL_TEXT_INDEXES = (
    ("ix_kb_article_texts_fts_fi", "finnish", "fi"),
    ("ix_kb_article_texts_fts_sv", "swedish", "sv"),
    ("ix_kb_article_texts_fts_en", "english", "en"),
    ("ix_kb_article_texts_fts_simple", "simple", None),
)


def upgrade() -> None:
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('texts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('places', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('starts_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_announcements_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index('ix_announcements_starts_at_ends_at', ['starts_at', 'ends_at'], unique=False)

    op.create_table('desk_policies',
    sa.Column('desk', sa.String(length=16), nullable=False),
    sa.Column('retention_months', sa.Integer(), nullable=False),
    sa.Column('reminder_days', sa.Integer(), nullable=False),
    sa.Column('close_after_days', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_desk_policies_updated_by_users')),
    sa.PrimaryKeyConstraint('desk', name=op.f('pk_desk_policies'))
    )
    op.create_table('kb_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('region_code', sa.String(length=2), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('review_by', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.Column('created_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('archived_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_kb_articles_owner_id_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_kb_articles_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles'))
    )
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_articles_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_kb_articles_review_by', ['review_by'], unique=False)
        batch_op.create_index('ix_kb_articles_status_audience', ['status', 'audience'], unique=False)

    op.create_table('template_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=48), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('variant', sa.String(length=8), nullable=False),
    sa.Column('region', sa.String(length=2), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_template_overrides_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_overrides')),
    sa.UniqueConstraint('event', 'language', 'variant', 'region', name=op.f('uq_template_overrides_event_language_variant_region'))
    )
    op.create_table('kb_article_texts',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_texts_article_id_kb_articles')),
    sa.PrimaryKeyConstraint('article_id', 'language', name=op.f('pk_kb_article_texts'))
    )
    op.create_table('kb_article_topics',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_topics_article_id_kb_articles')),
    sa.PrimaryKeyConstraint('article_id', 'topic', name=op.f('pk_kb_article_topics'))
    )
    with op.batch_alter_table('kb_article_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_article_topics_topic'), ['topic'], unique=False)

    op.create_table('kb_article_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_uses_article_id_kb_articles')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_kb_article_uses_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kb_article_uses_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article_uses'))
    )
    with op.batch_alter_table('kb_article_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_article_uses_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_article_uses_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_article_uses_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('kb_article_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('texts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('meta', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_versions_article_id_kb_articles')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_kb_article_versions_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article_versions')),
    sa.UniqueConstraint('article_id', 'version', name=op.f('uq_kb_article_versions_article_id_version'))
    )
    op.create_table('kb_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_feedback_article_id_kb_articles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_feedback'))
    )
    with op.batch_alter_table('kb_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_kb_feedback_article_id_language', ['article_id', 'language'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_feedback_created_at'), ['created_at'], unique=False)

    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=True),
    sa.Column('sent_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('answered_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('changed_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_surveys_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_surveys_ticket_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_surveys_token_hash'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_answered_at'), ['answered_at'], unique=False)

    op.create_table('ticket_redactions',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('redacted_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_redactions_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_redactions'))
    )
    op.create_table('announcement_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('announcement_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('created_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('queued_at', servicedesk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['announcement_id'], ['announcements.id'], name=op.f('fk_announcement_deliveries_announcement_id_announcements')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_announcement_deliveries_contact_id_contacts')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_announcement_deliveries_outbox_id_outbox')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_announcement_deliveries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_deliveries')),
    sa.UniqueConstraint('announcement_id', 'channel', 'address', name=op.f('uq_announcement_deliveries_announcement_id_channel_address'))
    )
    with op.batch_alter_table('announcement_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_announcement_deliveries_announcement_id_status', ['announcement_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_announcement_deliveries_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_announcement_deliveries_status_id', ['status', 'id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for name, config, language in FULL_TEXT_INDEXES:
            where = f" WHERE language = '{language}'" if language else ""
            op.execute(
                f"CREATE INDEX {name} ON kb_article_texts "
                f"USING gin (to_tsvector('{config}', search_text)){where}"
            )



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _config, _language in FULL_TEXT_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table('announcement_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_announcement_deliveries_status_id')
        batch_op.drop_index(batch_op.f('ix_announcement_deliveries_contact_id'))
        batch_op.drop_index('ix_announcement_deliveries_announcement_id_status')

    op.drop_table('announcement_deliveries')
    op.drop_table('ticket_redactions')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_answered_at'))

    op.drop_table('surveys')
    with op.batch_alter_table('kb_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_feedback_created_at'))
        batch_op.drop_index('ix_kb_feedback_article_id_language')

    op.drop_table('kb_feedback')
    op.drop_table('kb_article_versions')
    with op.batch_alter_table('kb_article_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_article_uses_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_kb_article_uses_created_at'))
        batch_op.drop_index(batch_op.f('ix_kb_article_uses_article_id'))

    op.drop_table('kb_article_uses')
    with op.batch_alter_table('kb_article_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_article_topics_topic'))

    op.drop_table('kb_article_topics')
    op.drop_table('kb_article_texts')
    op.drop_table('template_overrides')
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_index('ix_kb_articles_status_audience')
        batch_op.drop_index('ix_kb_articles_review_by')
        batch_op.drop_index(batch_op.f('ix_kb_articles_owner_id'))

    op.drop_table('kb_articles')
    op.drop_table('desk_policies')
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index('ix_announcements_starts_at_ends_at')

    op.drop_table('announcements')
