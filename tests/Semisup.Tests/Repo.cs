namespace Semisup.Tests;

/// <summary>The clone the tests run in: the first parent of the tests' output that holds Semisup.slnx. Not
/// <see cref="Semisup.Recipes.Recipe.FindRecipesDir"/>'s parent: the output carries its own copy of the recipes.</summary>
static class Repo
{
    public static readonly string Root = Find();
    public static string Recipes => Path.Combine(Root, "recipes");

    static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Semisup.slnx"))) return d.FullName;
        throw new InvalidOperationException($"No Semisup.slnx above {AppContext.BaseDirectory}: the tests run from a clone.");
    }
}
