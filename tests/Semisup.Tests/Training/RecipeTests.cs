using Semisup.Training;

namespace Semisup.Tests.Training;

public class RecipeTests
{
    [Fact]
    public void The_default_recipe_is_the_labs_final_model()
    {
        var r = Recipe.Load("gamma", Repo.Recipes);
        Assert.Equal(("gamma", 3000, 500, 50, 50, 0.3, 1e-3), (r.Method, r.Labels, r.Epochs, r.LabeledBatch, r.UnlabeledBatch, r.NoiseStd, r.LearningRate));
        Assert.Equal(60, r.StepsPer(3000));
    }

    [Fact]
    public void The_program_carries_every_recipe_so_an_installed_tool_finds_them_outside_a_clone()
    {
        // The tests' output holds the CLI's, as a tool's folder holds its published output.
        var beside = Path.Combine(AppContext.BaseDirectory, "recipes");
        Assert.Equal(Recipe.Names(Repo.Recipes), Recipe.Names(beside));
        foreach (var name in Recipe.Names(beside))
            Assert.Equal(File.ReadAllText(Path.Combine(Repo.Recipes, name + ".json")), File.ReadAllText(Path.Combine(beside, name + ".json")));
    }

    [Fact]
    public void The_schedule_is_1e3_then_5e4_then_decays_by_099_per_epoch()
    {
        var s = new LrSchedule();
        Assert.Equal(1e-3, s.At(1, 1e-3, 500));
        Assert.Equal(1e-3, s.At(100, 1e-3, 500));
        Assert.Equal(5e-4, s.At(101, 1e-3, 500));
        Assert.Equal(5e-4, s.At(200, 1e-3, 500));
        Assert.Equal(5e-4 * 0.99, s.At(201, 1e-3, 500), 12);
        Assert.Equal(5e-4 * Math.Pow(0.99, 300), s.At(500, 1e-3, 500), 12);

        // The ladder papers': constant for 100 epochs, then linearly to 0 over the last 50.
        var linear = new LrSchedule(LinearDecayAfter: 100);
        Assert.Equal(2e-3, linear.At(100, 2e-3, 150));
        Assert.Equal(2e-3 * 50 / 51, linear.At(101, 2e-3, 150), 12);
        Assert.Equal(2e-3 * 25 / 51, linear.At(126, 2e-3, 150), 12);
        Assert.Equal(2e-3 / 51, linear.At(150, 2e-3, 150), 12);
        Assert.Equal(2e-3, linear.At(100, 2e-3, 100)); // a run shortened below the decay keeps the constant rate
        Assert.Contains("linearDecayAfter -1", Assert.Throws<SemisupException>(() => new Recipe { Schedule = linear with { LinearDecayAfter = -1 } }.Validate()).Message);
    }

    [Theory]
    [InlineData("{ \"epochs\": 5, \"learningrat\": 0.1 }", "Did you mean 'learningRate'?")]
    [InlineData("{ \"rotation\": 10 }", "Valid keys: name, description, method, model")]
    [InlineData("{ \"elasticAlfa\": 10 }", "Did you mean 'elasticAlpha'?")]
    [InlineData("{ \"schedule\": { \"decayEpochs\": 10 } }", "Did you mean 'decayEpoch'?")]
    [InlineData("{ \"epochs\": \"many\" }", "$.epochs")]
    [InlineData("{ \"epochs\": -3 }", "epochs -3")]
    [InlineData("{ \"labels\": 25 }", "labels 25")]
    [InlineData("{ \"dropout\": 1.0 }", "dropout 1")]
    [InlineData("{ \"method\": \"magic\" }", "known methods are gamma")]
    [InlineData("{ not json", "recipe.json")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"denoisingCosts\": [1, 2] }", "denoisingCosts has 2 values for 7 layers")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"noiseStd\": -0.3 }", "noiseStd -0.3")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"inputNoiseStd\": -0.1 }", "inputNoiseStd -0.1")]
    [InlineData("{ \"inputNoiseStd\": 0.3 }", "only the mlp-ladder has it")]
    [InlineData("{ \"interpolation\": \"lanczos\" }", "known are bilinear, bicubic")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"gamma\" }", "go together")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"labels\": 5 }", "labels 5")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"labels\": 105 }", "labels 105")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"denoisingCosts\": [1, 1, 1, 1, 1, 1, -1] }", "not negative")]
    [InlineData("{ \"model\": \"resnet\" }", "known models are conv, mlp-ladder")]
    [InlineData("{ \"activation\": \"swish\" }", "known activations are leaky_relu, relu, tanh, sigmoid")]
    [InlineData("{ \"optimizer\": \"rmsprop\" }", "known optimizers are adam, sgd, momentum, nesterov")]
    [InlineData("{ \"dataset\": \"cifar\" }", "dataset 'cifar': known datasets are mnist, fashion-mnist")]
    [InlineData("{ \"init\": \"orthogonal\" }", "known initialisations are uniform, xavier, he, kmeans")]
    [InlineData("{ \"dropoutKind\": \"gaussian\" }", "known kinds are inverted, classic")]
    [InlineData("{ \"momentum\": -0.5 }", "momentum -0.5")]
    [InlineData("{ \"softmaxBeta\": 0 }", "softmaxBeta 0: must be positive")]
    [InlineData("{ \"softmaxBeta\": -2 }", "softmaxBeta -2")]
    [InlineData("{ \"dropout\": -0.1 }", "dropout -0.1")]
    [InlineData("{ \"inputStd\": 0 }", "inputStd 0")]
    [InlineData("{ \"warmStart\": \"/no/such.ckpt\" }", "no such checkpoint")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"denoisingRows\": \"labeled\" }", "denoisingRows 'labeled': all or unlabeled")]
    [InlineData("{ \"denoisingRows\": \"unlabeled\" }", "only the ladder method has a decoder")]
    [InlineData("{ \"method\": \"alternating-gamma\", \"augmentUnlabeled\": true }", "augmentUnlabeled: implemented for the gamma and pseudo-label methods only")]
    [InlineData("{ \"augmentUnlabeled\": true, \"rotationDegrees\": 0, \"shift\": 0 }", "no augmentation to apply")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"cleanDropout\": false }", "the ladder has no dropout")]
    [InlineData("{ \"bnScaleInit\": \"zeros\" }", "bnScaleInit 'zeros': known choices are ones, uniform01, uniform")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"bnScaleInit\": \"uniform01\" }", "the ladder's batch-norm scales follow the papers")]
    [InlineData("{ \"cutout\": -4 }", "cutout -4: must not be negative")]
    [InlineData("{ \"emaDecay\": 1 }", "emaDecay 1: must be in [0, 1)")]
    [InlineData("{ \"emaDecay\": -0.9 }", "emaDecay -0.9")]
    [InlineData("{ \"convWidth\": 0.01 }", "convWidth 0.01: must be at least 1/32")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"convWidth\": 2 }", "the ladder has no convolutions")]
    [InlineData("{ \"hiddenUnits\": 100000000 }", "the network's 52,500,130,718 parameters need 782.3 GiB to train")] // libtorch would abort the process
    [InlineData("{ \"hiddenUnits\": 100000000, \"optimizer\": \"sgd\" }", "need 586.7 GiB to train (3 float32 copies: the weights, their gradients, the optimizer's state and any weight average), more than the ")]
    [InlineData("{ \"convWidth\": 1e9 }", " GiB this process may use; check convWidth and hiddenUnits")]
    [InlineData("{ \"net\": { \"parameters\": 183218 } }", "net.parameters is not a value of 'net'")]
    [InlineData("{ \"model\": \"mlp-ladder\", \"method\": \"ladder\", \"ladderLayers\": [784, 2000000000, 10] }", "; check ladderLayers")]
    [InlineData("{ \"net\": { \"hiddenUnits\": 500 } }", "net.hiddenUnits is 500, but the other keys make it 100. 'net' is computed from the other keys and only read back: delete the block, and set hiddenUnits at the top level.")]
    [InlineData("{ \"augmentation\": { \"rotationDegrees\": 10 } }", "augmentation.rotationDegrees is 10, but the other keys make it 25")]
    [InlineData("{ \"net\": { \"classes\": 12 } }", "net.classes is 12, but the other keys make it 10. 'net' is computed from the other keys and only read back: delete the block.")]
    [InlineData("{ \"net\": { \"anything\": null } }", "net.anything is not a value of 'net'")]
    [InlineData("{ \"ladder\": 5 }", "ladder is 5, not the block the other keys make")]
    [InlineData("{ \"labels\": 100, \"net\": { \"hiddenUnits\": 100 }, \"net\": { \"hiddenUnits\": 7 } }", "net.hiddenUnits is 7")] // a repeated key: the reader keeps the last
    public void Bad_recipes_are_rejected_naming_the_key(string json, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["recipe.json"], json);
        var e = Assert.Throws<SemisupException>(() => Recipe.Load(dir["recipe.json"]).Validate());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_run_recipe_with_the_derived_blocks_of_earlier_versions_still_loads_and_is_written_without_them()
    {
        using var dir = new TempDir();
        var old = new Recipe { HiddenUnits = 500, ConvWidth = 1.5 };
        // As earlier versions wrote recipe.json: the derived blocks beside the keys they come from.
        var json = System.Text.Json.JsonSerializer.SerializeToNode(old, Recipe.Json)!.AsObject();
        json["net"] = System.Text.Json.JsonSerializer.SerializeToNode(old.Net, Recipe.Json);
        json["augmentation"] = System.Text.Json.JsonSerializer.SerializeToNode(old.Augmentation, Recipe.Json);
        json["ladder"] = System.Text.Json.JsonSerializer.SerializeToNode(old.Ladder, Recipe.Json);
        File.WriteAllText(dir["recipe.json"], json.ToJsonString());

        var read = Recipe.Read(dir["recipe.json"]);
        Assert.Equal((500, 1.5), (read.HiddenUnits, read.ConvWidth));
        Assert.Equal(old.ToJson(), read.ToJson());
        Assert.DoesNotContain("\"net\"", read.ToJson());
        Assert.DoesNotContain("\"augmentation\"", read.ToJson());
        Assert.DoesNotContain("\"ladder\"", read.ToJson());

        // The shipped run's recipe.json, written by the first version, with its partial net block.
        var shipped = Path.Combine(Repo.Root, "models", "gamma-seed1", "recipe.json");
        Assert.Contains("\"net\"", File.ReadAllText(shipped));
        Assert.Equal(new Recipe().Net, Recipe.Read(shipped).Net);
    }

    [Fact]
    public void Every_shipped_recipe_loads_and_validates()
    {
        var files = Directory.GetFiles(Repo.Recipes, "*.json");
        Assert.Contains(files, f => Path.GetFileName(f) == "gamma.json");
        Assert.Contains(files, f => Path.GetFileName(f) == "ladder-100.json");
        foreach (var file in files)
        {
            var recipe = Recipe.Load(file).Validate();
            Assert.False(string.IsNullOrWhiteSpace(recipe.Description), file);
            Assert.StartsWith("//", File.ReadAllText(file)); // a header saying what it reproduces
        }
    }

    [Fact]
    public void An_unknown_recipe_name_lists_the_known_ones()
    {
        var e = Assert.Throws<SemisupException>(() => Recipe.Load("no-such-recipe", Repo.Recipes));
        Assert.Contains("gamma-quick", e.Message);
    }
}
