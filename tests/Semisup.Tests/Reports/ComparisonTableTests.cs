using Semisup.Recipes;
using Semisup.Reports;
using Semisup.Runs;

namespace Semisup.Tests.Reports;

/// <summary>Which runs compare's table summarises together, and the numbers it gives them.</summary>
public class ComparisonTableTests
{
    static RunSummary Run(Recipe recipe, ulong seed, double validation, double test) =>
        new($"runs/s{seed}", recipe with { Data = recipe.Data with { Seed = seed } }, 1, validation, test, []);

    [Fact]
    public void Seeds_of_one_recipe_are_one_group_even_when_its_description_was_edited_between_them()
    {
        var recipe = new Recipe { Name = "fixmatch-100", Description = "as first written" };
        var rows = new[]
        {
            Run(recipe, 1, 0.99, 0.994),
            Run(recipe with { Description = "edited after seed 1 was kept" }, 2, 0.98, 0.996),
            Run(recipe with { Run = recipe.Run with { Threads = 1 } }, 3, 0.97, 0.998),
            Run(recipe with { Data = recipe.Data with { Labels = 10 } }, 4, 0.5, 0.5), // another experiment
            Run(recipe with { Data = recipe.Data with { Labels = 10 } }, 5, 0.7, 0.7),
        };
        var groups = ComparisonTable.Groups(rows).ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal(("fixmatch-100", "3 seeds"), (groups[0].Recipe, groups[0].Of));
        // Hand-computed: mean 0.98; sample std sqrt((0.01² + 0 + 0.01²) / 2) = 0.01; test mean 0.996, std 0.002.
        Assert.Equal(0.98, groups[0].Validation.Mean, 12);
        Assert.Equal(0.01, groups[0].Validation.Std, 12);
        Assert.Equal(0.996, groups[0].Test!.Value.Mean, 12);
        Assert.Equal(0.002, groups[0].Test!.Value.Std, 12);
        Assert.Equal(0.6, groups[1].Validation.Mean, 12);
    }
}
