import { Migration } from '@mikro-orm/migrations';

export class Migration20261206123345_charge_point_nocase extends Migration {
  override name = 'Migration20261206123345_charge_point_nocase';

  override up(): void {
    this.addSql(`alter table \`charge_point\` add index \`charge_point_id_nocase_idx\` (\`id\`);`);
  }

  override down(): void {
    this.addSql(`alter table \`charge_point\` drop index \`charge_point_id_nocase_idx\`;`);
  }
}
