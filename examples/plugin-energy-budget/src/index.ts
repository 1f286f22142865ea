/**
 * @charge-it/example-plugin-energy-budget: the example of docs/writing-a-plugin.md. Each RFID card
 * may charge a budget of energy per rolling window; a card over its budget is refused at the next
 * Authorize/StartTransaction (never at StopTransaction), a warning is logged as a card nears it, and
 * the usage is a typed service (`services.get('energyBudget')`) and a REST route.
 */
export { energyBudget, type EnergyBudgetOptions, type EnergyBudgetService, type BudgetUsage } from './energy-budget.js';
