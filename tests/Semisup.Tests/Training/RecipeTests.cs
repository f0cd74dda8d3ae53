using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Optim;
using Semisup.Training;

namespace Semisup.Tests.Training;

public class RecipeTests
{
    [Fact]
    public void The_default_recipe_is_the_labs_final_model()
    {
        var r = Recipe.Load("gamma", Repo.Recipes);
        Assert.IsType<Gamma>(r.Method);
        var conv = Assert.IsType<ConvNetConfig>(r.Model);
        Assert.Equal((3000, 500, 50, 50, 0.3, 1e-3), (r.Data.Labels, r.Run.Epochs, r.Run.LabeledBatch, r.Run.UnlabeledBatch, conv.NoiseStd, r.Optimizer.LearningRate));
        Assert.Equal(60, r.Run.StepsPer(3000));
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
        var s = new LabSchedule();
        Assert.Equal(1e-3, s.At(1, 1e-3, 500));
        Assert.Equal(1e-3, s.At(100, 1e-3, 500));
        Assert.Equal(5e-4, s.At(101, 1e-3, 500));
        Assert.Equal(5e-4, s.At(200, 1e-3, 500));
        Assert.Equal(5e-4 * 0.99, s.At(201, 1e-3, 500), 12);
        Assert.Equal(5e-4 * Math.Pow(0.99, 300), s.At(500, 1e-3, 500), 12);

        // The ladder papers': constant for 100 epochs, then linearly to 0 over the last 50.
        var linear = new LinearDecay(After: 100);
        Assert.Equal(2e-3, linear.At(100, 2e-3, 150));
        Assert.Equal(2e-3 * 50 / 51, linear.At(101, 2e-3, 150), 12);
        Assert.Equal(2e-3 * 25 / 51, linear.At(126, 2e-3, 150), 12);
        Assert.Equal(2e-3 / 51, linear.At(150, 2e-3, 150), 12);
        Assert.Equal(2e-3, linear.At(100, 2e-3, 100)); // a run shortened below the decay keeps the constant rate
        Assert.Contains("schedule.after: -1 must not be negative", Assert.Throws<SemisupException>(() => new Recipe { Schedule = new LinearDecay(-1) }.Validate()).Message);
    }

    /// <summary>Every recipe was converted from the flat form; tests/.../legacy-recipes holds each one as the flat
    /// code resolved it (every key). Read through the one converter, each must give exactly the blocks the new file
    /// gives: the conversion changed no setting of any recipe.</summary>
    [Fact]
    public void Every_converted_recipe_resolves_to_the_settings_its_flat_form_had()
    {
        var legacyDir = Path.Combine(Repo.Root, "tests", "Semisup.Tests", "Training", "legacy-recipes");
        var names = Recipe.Names(Repo.Recipes).Where(n => File.Exists(Path.Combine(legacyDir, n + ".json"))).ToList();
        Assert.Equal(Directory.GetFiles(legacyDir, "*.json").Length, names.Count); // a recipe removed takes its snapshot along
        Assert.True(names.Count >= 25, $"{names.Count} flat snapshots");
        foreach (var name in names)
        {
            var flat = Recipe.Read(Path.Combine(legacyDir, name + ".json"));
            var blocks = Recipe.Load(name, Repo.Recipes);
            Assert.Equal(flat.ToJson(), blocks.ToJson());
        }
    }

    [Fact]
    public void The_flat_form_maps_each_key_to_its_block()
    {
        var r = RecipeFile.Parse("""
            { "method": "pseudo-label", "confidenceThreshold": 0.9, "unsupervisedWeight": 3, "optimizer": "nesterov", "momentum": 0.8,
              "labels": 100, "seed": 7, "epochs": 12, "hiddenUnits": 500, "cutout": 8, "schedule": { "linearDecayAfter": 5 }, "emaDecay": 0.99 }
            """, "flat");
        Assert.Equal(new PseudoLabel(UnsupervisedWeight: 3, Threshold: 0.9), r.Method);
        Assert.Equal(0.8, Assert.IsType<Nesterov>(r.Optimizer).Mu);
        Assert.Equal((100, 7UL, 12, 500, 8, 0.99), (r.Data.Labels, r.Data.Seed, r.Run.Epochs, ((ConvNetConfig)r.Model).HiddenUnits, r.Augmentation.Cutout, r.Run.EmaDecay));
        Assert.Equal(new LinearDecay(5), r.Schedule);
    }

    /// <summary>The shipped checkpoints and kept runs hold the flat form; they still read, as the settings they trained with.</summary>
    [Fact]
    public void Shipped_and_kept_run_recipes_of_the_flat_form_still_load()
    {
        var files = Directory.GetFiles(Path.Combine(Repo.Root, "models"), "recipe.json", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(Repo.Root, "docs", "runs"), "recipe.json", SearchOption.AllDirectories)).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files) Recipe.Read(file).Validate();
        var shipped = Recipe.Read(Path.Combine(Repo.Root, "models", "gamma-seed1", "recipe.json"));
        Assert.Equal(new ConvNetConfig(), shipped.Model);
        Assert.Equal(1000, shipped.Run.EvalBatch); // what it recorded, not today's default
    }

    [Theory]
    [InlineData("{ \"optimizer\": { \"kind\": \"adam\", \"learningrat\": 0.1 } }", "optimizer.learningrat: optimizer of kind 'adam' has no such key. Did you mean 'learningRate'?")]
    [InlineData("{ \"rotation\": 10 }", "rotation: a recipe has no such key. Its keys: name, description, data, model")]
    [InlineData("{ \"method\": { \"kind\": \"gamma\" }, \"epochs\": 3 }", "Recipes are written in blocks: this is run.epochs.")]
    [InlineData("{ \"augmentation\": { \"elasticAlfa\": 10 } }", "Did you mean 'elasticAlpha'?")]
    [InlineData("{ \"schedule\": { \"kind\": \"lab\", \"decayEpochs\": 10 } }", "Did you mean 'decayEpoch'?")]
    [InlineData("{ \"run\": { \"epochs\": \"many\" } }", "run.epochs: give a whole number, not \"many\".")]
    [InlineData("{ \"run\": { \"epochs\": 2.5 } }", "run.epochs: give a whole number, not 2.5.")]
    [InlineData("{ \"run\": { \"epochs\": -3 } }", "run.epochs: -3 must be at least 1")]
    [InlineData("{ \"data\": { \"labels\": 25 } }", "data.labels: 25 must be a positive multiple of 10")]
    [InlineData("{ \"model\": { \"kind\": \"conv\", \"dropout\": 1.0 } }", "model.dropout: 1 must be in [0, 1)")]
    [InlineData("{ \"method\": { \"kind\": \"magic\" } }", "method.kind: 'magic' is not one of supervised, gamma, alternating-gamma, pseudo-label, ladder")]
    [InlineData("{ \"method\": { \"threshold\": 0.9 } }", "method: give its kind (supervised, gamma")]
    [InlineData("{ not json", "not valid JSON (line 1")]
    [InlineData("{ \"model\": { \"kind\": \"mlp-ladder\" }, \"method\": { \"kind\": \"ladder\", \"denoisingCosts\": [1, 2] } }", "method.denoisingCosts: 2 values for 7 layers")]
    [InlineData("{ \"model\": { \"kind\": \"mlp-ladder\", \"noiseStd\": -0.3 }, \"method\": { \"kind\": \"ladder\" } }", "model.noiseStd: -0.3 must not be negative")]
    [InlineData("{ \"model\": { \"kind\": \"conv\", \"inputNoiseStd\": 0.3 } }", "model.inputNoiseStd: model of kind 'conv' has no such key")]
    [InlineData("{ \"augmentation\": { \"interpolation\": \"lanczos\" } }", "augmentation.interpolation: 'lanczos' is not one of bilinear, bicubic")]
    [InlineData("{ \"model\": { \"kind\": \"mlp-ladder\" } }", "go together")]
    [InlineData("{ \"model\": { \"kind\": \"resnet\" } }", "model.kind: 'resnet' is not one of conv, mlp-ladder")]
    [InlineData("{ \"model\": { \"kind\": \"conv\", \"activation\": \"swish\" } }", "model.activation: 'swish' is not one of leaky_relu, relu, tanh, sigmoid")]
    [InlineData("{ \"optimizer\": { \"kind\": \"rmsprop\" } }", "optimizer.kind: 'rmsprop' is not one of adam, sgd, momentum, nesterov")]
    [InlineData("{ \"data\": { \"dataset\": \"cifar\" } }", "data.dataset: 'cifar' is not one of mnist, fashion-mnist")]
    [InlineData("{ \"optimizer\": { \"kind\": \"momentum\", \"mu\": -0.5 } }", "optimizer.mu: -0.5 must be in [0, 1)")]
    [InlineData("{ \"optimizer\": { \"kind\": \"adam\", \"learningRate\": 1e309 } }", "optimizer.learningRate: must be a finite number")]
    [InlineData("{ \"model\": { \"kind\": \"conv\", \"warmStart\": \"/no/such.ckpt\" } }", "model.warmStart: no checkpoint at '/no/such.ckpt'")]
    [InlineData("{ \"method\": { \"kind\": \"pseudo-label\", \"augmentUnlabeled\": true }, \"augmentation\": { \"rotationDegrees\": 0, \"shift\": 0 } }", "method.augmentUnlabeled: the augmentation block alters nothing")]
    [InlineData("{ \"method\": { \"kind\": \"alternating-gamma\", \"augmentUnlabeled\": true } }", "method.augmentUnlabeled: method of kind 'alternating-gamma' has no such key")]
    [InlineData("{ \"run\": { \"emaDecay\": 1 } }", "run.emaDecay: 1 must be in [0, 1)")]
    [InlineData("{ \"model\": { \"kind\": \"conv\", \"hiddenUnits\": 100000000 } }", "model: 52,500,130,718 parameters need 782.3 GiB to train")] // libtorch would abort the process
    [InlineData("{ \"model\": { \"kind\": \"mlp-ladder\", \"layers\": [784, 2000000000, 10] }, \"method\": { \"kind\": \"ladder\", \"denoisingCosts\": [1, 1, 1] } }", "; check model.layers")]
    [InlineData("{ \"run\": { \"epochs\": 3, \"epochs\": 4 } }", "run.epochs: given twice")]
    [InlineData("{ \"data\": { \"labels\": -1 } }", "data.labels: all leaves no unlabeled image for the gamma method")]
    [InlineData("{ \"data\": { \"kind\": \"mnist\" } }", "data.kind: data has no such key")]
    [InlineData("{ \"run\": { \"labeledBatch\": 100000 } }", "run.labeledBatch: 100000 is more than the 3,000 labeled images; give at most 3,000")] // it needed gigabytes, then crashed
    [InlineData("{ \"run\": { \"unlabeledBatch\": 48000 } }", "run.unlabeledBatch: 48000 is more than the 47,000 unlabeled images")]
    [InlineData("{ \"model\": { \"kind\": \"conv\", \"noiseStd\": 1e400 } }", "model.noiseStd: must be a finite number")]
    public void Bad_recipes_are_rejected_naming_the_key_with_its_block(string json, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["recipe.json"], json);
        var e = Assert.Throws<SemisupException>(() => Recipe.Load(dir["recipe.json"]).Validate());
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("System.", e.Message);
        Assert.DoesNotContain("$.", e.Message);
    }

    /// <summary>Keys that served only experiments that did not help are gone; run directories and checkpoints written
    /// before still hold them, at their defaults unless the run set one.</summary>
    [Fact]
    public void A_retired_key_at_its_old_default_is_ignored_and_any_other_value_is_refused_naming_the_commit()
    {
        const string Old = """
            { "model": { "kind": "conv", "cleanDropout": true, "convWidth": 1 },
              "method": { "kind": "fixmatch", "threshold": 0.9, "unsupervisedWeight": 1, "pseudoLabels": "batch", "labelSmoothing": 0,
                          "distributionAlignment": false, "alignmentMomentum": 0.999 },
              "schedule": { "kind": "cosine", "warmupEpochs": 0 }, "augmentation": { "strong": { "cutout": 6 } } }
            """;
        var r = RecipeFile.Parse(Old, "old.json").Validate();
        Assert.Equal(new ConvNetConfig(), r.Model);
        Assert.Equal(new FixMatch(Threshold: 0.9), r.Method);
        Assert.Equal(new Cosine(), r.Schedule);

        Assert.Equal("old.json: method.labelSmoothing: 0.1 is a setting Semisup no longer has; check out e050450 to train or load this recipe.",
            Assert.Throws<SemisupException>(() => RecipeFile.Parse(Old.Replace("\"labelSmoothing\": 0", "\"labelSmoothing\": 0.1"), "old.json")).Message);
        Assert.Contains("method.pseudoLabels: \"teacher\" is a setting Semisup no longer has; check out e050450",
            Assert.Throws<SemisupException>(() => RecipeFile.Parse(Old, "old.json", ["method.pseudoLabels=teacher"])).Message);
        Assert.Contains("model.kind: 'mlp' is a network Semisup no longer has; check out e050450",
            Assert.Throws<SemisupException>(() => RecipeFile.Parse("""{ "model": { "kind": "mlp" } }""", "old.json")).Message);
        // FreeMatch's threshold left later, so its refusal names a later commit; recipes written since 083f72b hold it at 0.
        Assert.Equal(new FixMatch(Threshold: 0.9), RecipeFile.Parse(Old.Replace("\"alignmentMomentum\": 0.999", "\"alignmentMomentum\": 0.999, \"adaptiveThreshold\": 0"), "old.json").Method);
        Assert.Equal("old.json: method.adaptiveThreshold: 0.999 is a setting Semisup no longer has; check out 34549c3 to train or load this recipe.",
            Assert.Throws<SemisupException>(() => RecipeFile.Parse(Old, "old.json", ["method.adaptiveThreshold=0.999"])).Message);
        // Only the kind that had the key: Γ keeps its unsupervisedWeight, alternating Γ lost its own.
        Assert.Equal(new Gamma(UnsupervisedWeight: 3), RecipeFile.Parse("""{ "method": { "kind": "gamma", "unsupervisedWeight": 3 } }""", "t").Method);
        Assert.Contains("method.unsupervisedSteps: 30 is a setting Semisup no longer has",
            Assert.Throws<SemisupException>(() => RecipeFile.Parse("""{ "method": { "kind": "alternating-gamma", "unsupervisedSteps": 30 } }""", "t")).Message);
        // The flat form's retired keys are judged the same way.
        Assert.Equal(new ConvNetConfig(), RecipeFile.Parse("""{ "method": "gamma", "cleanDropout": true, "unsupervisedSteps": 5 }""", "flat").Model);
        Assert.Contains("model.cleanDropout: false is a setting Semisup no longer has",
            Assert.Throws<SemisupException>(() => RecipeFile.Parse("""{ "method": "gamma", "cleanDropout": false }""", "flat")).Message);
        Assert.Contains("method.unsupervisedSteps: 5 is a setting",
            Assert.Throws<SemisupException>(() => RecipeFile.Parse("""{ "method": "alternating-gamma", "unsupervisedSteps": 5 }""", "flat")).Message);
    }

    [Fact]
    public void A_block_given_keeps_its_kinds_defaults_for_the_keys_it_leaves_out()
    {
        var r = RecipeFile.Parse("""{ "model": { "kind": "conv", "hiddenUnits": 500 }, "method": { "kind": "pseudo-label" } }""", "test");
        Assert.Equal(new ConvNetConfig(HiddenUnits: 500), r.Model);
        Assert.Equal(new PseudoLabel(), r.Method);
        Assert.Equal(new Recipe().Run, r.Run);
    }

    [Fact]
    public void Set_changes_one_key_and_a_new_kind_starts_from_its_defaults()
    {
        var r = RecipeFile.Parse("{}", "test", ["method.unsupervisedWeight=2", "run.epochs=7", "data.split=lab"]);
        Assert.Equal(new Gamma(UnsupervisedWeight: 2), r.Method);
        Assert.Equal((7, "lab"), (r.Run.Epochs, r.Data.Split));
        var pl = RecipeFile.Parse("{}", "test", ["method.kind=pseudo-label", "method.threshold=0.9"]);
        Assert.Equal(new PseudoLabel(Threshold: 0.9), pl.Method);
        Assert.Contains("method.threshold: method of kind 'gamma' has no such key",
            Assert.Throws<SemisupException>(() => RecipeFile.Parse("{}", "test", ["method.threshold=0.9"])).Message);
        Assert.Contains("give block.key=value", Assert.Throws<SettingException>(() => RecipeFile.Parse("{}", "test", ["epochs"])).Message);
        Assert.Equal("set nope.x=1: 'nope' is not a block; the blocks are data, model, method, optimizer, schedule, augmentation, run.",
            Assert.Throws<SettingException>(() => RecipeFile.Parse("{}", "test", ["nope.x=1"])).Message);
    }

    [Fact]
    public void Set_reaches_a_key_of_a_sub_block_and_makes_the_sub_block_if_there_is_none()
    {
        const string File = """{ "augmentation": { "shift": 2, "strong": { "cutout": 8, "shear": 0.2 } } }""";
        var r = RecipeFile.Parse(File, "test", ["augmentation.strong.cutout=6"]);
        Assert.Equal(new Augment(Shift: 2) { Strong = new Augment(Shear: 0.2, Cutout: 6) }, r.Augmentation);
        var made = RecipeFile.Parse("{}", "test", ["augmentation.strong.cutout=6"]);
        Assert.Equal(new Augment(Cutout: 6), made.Augmentation.Strong);
        Assert.Equal("set augmentation.shift.x=1: 'shift' is a value, not a block of keys.",
            Assert.Throws<SettingException>(() => RecipeFile.Parse(File, "test", ["augmentation.shift.x=1"])).Message);
        Assert.Contains("augmentation.strong.nope", Assert.Throws<SemisupException>(() => RecipeFile.Parse(File, "test", ["augmentation.strong.nope=1"])).Message);
    }

    [Fact]
    public void A_recipe_written_by_a_run_reads_back_to_the_same_recipe()
    {
        foreach (var name in Recipe.Names(Repo.Recipes))
        {
            var r = Recipe.Load(name, Repo.Recipes);
            Assert.Equal(r.ToJson(), RecipeFile.Parse(r.ToJson(), name).ToJson());
        }
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
            var text = File.ReadAllText(file);
            Assert.StartsWith("//", text); // a header saying what it reproduces
            Assert.DoesNotContain("Issue ", text);
        }
    }

    [Fact]
    public void An_unknown_recipe_name_lists_the_known_ones()
    {
        var e = Assert.Throws<SemisupException>(() => Recipe.Load("no-such-recipe", Repo.Recipes));
        Assert.Contains("gamma-quick", e.Message);
    }
}
