import { Migration } from '@mikro-orm/migrations';

export class Migration20261206123345_charge_point_nocase extends Migration {
  override name = 'Migration20261206123345_charge_point_nocase';

  override up(): void {
    // NOCASE by hand (the generator writes a plain index): auto-registration compares ids without
    // letter case, `where id collate nocase in (…)`, and this index serves that.
    this.addSql(`create index \`charge_point_id_nocase_idx\` on \`charge_point\` (\`id\` collate nocase);`);
  }

  override down(): void {
    this.addSql(`drop index \`charge_point_id_nocase_idx\`;`);
  }
}
