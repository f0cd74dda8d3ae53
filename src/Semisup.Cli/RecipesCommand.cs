using System.CommandLine;
using Semisup.Recipes;

namespace Semisup.Cli;

static class RecipesCommand
{
    public static Command Create()
    {
        var dir = new Option<string?>("--dir") { Description = "The recipes directory (default: recipes/ beside the working directory or the program)." };
        var cmd = new Command("recipes", "List the recipes: name, method, model, labels, epochs and description; exit 1 if any does not load or validate.") { dir };
        cmd.SetAction(parse =>
        {
            var recipesDir = parse.GetValue(dir) ?? Recipe.FindRecipesDir();
            var names = Recipe.Names(recipesDir);
            if (names.Count == 0) throw new SemisupException($"No recipes in {recipesDir}.");
            int width = names.Max(n => n.Length);
            Console.WriteLine($"{"recipe".PadRight(width)}  {"method",-17} {"model",-10} {"parameters",10} {"M mult",7} {"labels",6} {"epochs",6}  description");
            int invalid = 0;
            foreach (var name in names)
            {
                try // by path: a file named like the recipe in the working directory must not shadow it
                {
                    var r = Recipe.Load(Path.Combine(recipesDir, name + ".json")).Validate();
                    Console.WriteLine($"{name.PadRight(width)}  {r.MethodKind,-17} {r.ModelKind,-10} {r.SizedModel.Parameters,10:N0} {r.SizedModel.MultiplyAdds / 1e6,7:F1} {(r.Data.Labels < 0 ? "all" : r.Data.Labels.ToString()),6} {r.Run.Epochs,6}  {r.Description}");
                }
                catch (SemisupException e)
                {
                    invalid++;
                    Console.WriteLine($"{name.PadRight(width)}  invalid: {e.Message}");
                }
            }
            Console.WriteLine($"{names.Count} recipe{(names.Count == 1 ? "" : "s")} in {recipesDir}{(invalid > 0 ? $", {invalid} invalid" : "")}; train one with: semisup train --recipe NAME");
            return invalid > 0 ? 1 : 0;
        });
        return cmd;
    }
}
