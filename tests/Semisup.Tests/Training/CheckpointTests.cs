using Semisup.Models;
using Semisup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Tests.Training;

public class CheckpointTests
{
    static readonly TrainingState State = new(3, 2, 0.9, 12);

    [Fact]
    public void Save_and_load_round_trip_the_model_exactly()
    {
        using var dir = new TempDir();
        manual_seed(5);
        using var net = new ConvNet(new ConvNetConfig());
        Checkpoint.Save(dir["a.ckpt"], net, new Recipe(), State, null);
        var (loaded, header) = Checkpoint.Load(dir["a.ckpt"]);
        using var _ = loaded;
        Assert.Equal(State, header.State);
        foreach (var (name, t) in net.state_dict()) Assert.True(t.eq(loaded.state_dict()[name]).all().item<bool>(), name);
    }

    [Fact]
    public void A_checkpoint_of_another_architecture_or_a_corrupt_file_is_refused()
    {
        using var dir = new TempDir();
        using var tenClasses = new ConvNet(new ConvNetConfig());
        Checkpoint.Save(dir["a.ckpt"], tenClasses, new Recipe(), State, null);
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["a.ckpt"], build: _ => new ConvNet(new ConvNetConfig(Classes: 5))));
        Assert.Contains("another architecture", e.Message);

        var bytes = File.ReadAllBytes(dir["a.ckpt"]);
        File.WriteAllBytes(dir["truncated.ckpt"], bytes[..(bytes.Length / 2)]);
        Assert.Contains("corrupt checkpoint", Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["truncated.ckpt"])).Message);
        File.WriteAllText(dir["text.ckpt"], "hello");
        Assert.Contains("not a Semisup checkpoint", Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["text.ckpt"])).Message);
        Assert.Contains("cannot open", Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["missing.ckpt"])).Message);
    }

    [Fact]
    public void A_checkpoint_whose_recipe_describes_a_network_too_large_to_build_is_refused_before_allocating()
    {
        using var dir = new TempDir();
        using var net = new ConvNet(new ConvNetConfig());
        Checkpoint.Save(dir["huge.ckpt"], net, new Recipe(), State, null);
        ForgedCheckpoints.Rewrite(dir["huge.ckpt"], h => h["recipe"]!["model"]!["hiddenUnits"] = 1_000_000_000);
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["huge.ckpt"]));
        Assert.StartsWith($"{dir["huge.ckpt"]}: its recipe is invalid: ", e.Message);
        Assert.Contains("model: 525,000,130,718 parameters need ", e.Message);
        Assert.EndsWith(" GiB this process may use; check model.hiddenUnits.", e.Message);
    }

    [Fact]
    public void A_last_checkpoint_from_before_weight_averaging_still_resumes()
    {
        using var dir = new TempDir();
        var recipe = new Recipe();
        using var net = new ConvNet(new ConvNetConfig());
        using var optimizer = Factory.Optimizer(net, recipe);
        Checkpoint.Save(dir["last.ckpt"], net, recipe, State, optimizer);
        var bytes = File.ReadAllBytes(dir["last.ckpt"])[..^32]; // less the checksum, which the first format lacks
        Assert.Equal(0, bytes[^1]); // the "no trained weights follow" flag, which older checkpoints lack
        // The first format, as it was written before weight averaging: its magic, no flag, no checksum.
        var old = bytes[..^1];
        System.Text.Encoding.ASCII.GetBytes("SEMISUP-CKPT-1").CopyTo(old, 1);
        File.WriteAllBytes(dir["old.ckpt"], old);

        using var resumed = Checkpoint.Resume(dir["old.ckpt"], m => Factory.Optimizer(m, recipe));
        Assert.Null(resumed.Average);
        foreach (var (name, t) in net.state_dict()) Assert.True(t.eq(resumed.Model.state_dict()[name]).all().item<bool>(), name);
    }

    /// <summary>From 083f72b to 34549c3 a recipe held method.adaptiveThreshold (0 unless the run used FreeMatch's
    /// threshold) and last.ckpt ended with a flag after the trained weights, true only when the threshold's averages
    /// followed.</summary>
    [Fact]
    public void A_last_checkpoint_with_the_retired_method_state_flag_resumes_unless_the_flag_is_set()
    {
        using var dir = new TempDir();
        var recipe = Semisup.Recipes.RecipeFile.Parse("{}", "test",
            ["method.kind=fixmatch", "optimizer.kind=nesterov", "augmentation.strong.cutout=4", "run.emaDecay=0.99"]);
        manual_seed(4);
        using var average = Factory.Model(recipe);
        using var trained = Factory.Model(recipe);
        using var optimizer = Factory.Optimizer(trained, recipe);
        var path = dir["last.ckpt"];
        void As34549c3(byte flag)
        {
            Checkpoint.Save(path, average, recipe, State, optimizer, trained);
            byte[] content = [.. File.ReadAllBytes(path)[..^32], flag];
            File.WriteAllBytes(path, [.. content, .. System.Security.Cryptography.SHA256.HashData(content)]);
            ForgedCheckpoints.Rewrite(path, h => h["recipe"]!["method"]!["adaptiveThreshold"] = 0);
        }

        As34549c3(0);
        using (var resumed = Checkpoint.Resume(path, m => Factory.Optimizer(m, recipe)))
        {
            Assert.NotNull(resumed.Average);
            Assert.Equal(recipe.Method, Checkpoint.ReadHeader(path).Recipe.Method);
            foreach (var (name, t) in trained.state_dict()) Assert.True(t.eq(resumed.Model.state_dict()[name]).all().item<bool>(), name);
        }

        As34549c3(1);
        Assert.Equal($"{path}: its run kept the averages of FreeMatch's self-adaptive threshold, which Semisup no longer has; check out 34549c3 to resume it.",
            Assert.Throws<SemisupException>(() => Checkpoint.Resume(path, m => Factory.Optimizer(m, recipe))).Message);
        // Such a run's header holds the key it set, which is refused first.
        ForgedCheckpoints.Rewrite(path, h => h["recipe"]!["method"]!["adaptiveThreshold"] = 0.999);
        Assert.Equal($"{path} (its recipe): method.adaptiveThreshold: 0.999 is a setting Semisup no longer has; check out 34549c3 to train or load this recipe.",
            Assert.Throws<SemisupException>(() => Checkpoint.Load(path)).Message);

        // The shipped 10-label checkpoint was written with the key at 0.
        var (shipped, header) = Checkpoint.Load(Path.Combine(Repo.Root, "models", "fixmatch-100-labels-10-seed2", "best.ckpt"));
        shipped.Dispose();
        Assert.IsType<Semisup.Methods.FixMatch>(header.Recipe.Method);
    }

    [Fact]
    public void A_checkpoint_whose_recipe_averages_weights_but_holds_no_trained_weights_is_refused()
    {
        using var dir = new TempDir();
        var recipe = new Recipe { Run = new(EmaDecay: 0.99) };
        using var net = new ConvNet(new ConvNetConfig());
        using var optimizer = Factory.Optimizer(net, recipe);
        Checkpoint.Save(dir["last.ckpt"], net, recipe, State, optimizer);
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Resume(dir["last.ckpt"], m => Factory.Optimizer(m, recipe)));
        Assert.Contains("disagree about weight averaging", e.Message);
    }

    [Fact]
    public void Trained_weights_are_saved_only_with_the_optimizer_state_that_resuming_needs()
    {
        using var dir = new TempDir();
        using var net = new ConvNet(new ConvNetConfig());
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(dir["best.ckpt"], net, new Recipe { Run = new(EmaDecay: 0.99) }, State, null, trained: net));
        Assert.False(File.Exists(dir["best.ckpt"]));
    }

    [SkippableFact]
    public void A_full_disk_while_saving_leaves_the_previous_checkpoint_intact()
    {
        Skip.IfNot(File.Exists("/dev/full"), "no /dev/full to simulate a full disk");
        using var dir = new TempDir();
        using var net = new ConvNet(new ConvNetConfig());
        Checkpoint.Save(dir["last.ckpt"], net, new Recipe(), State, null);
        var before = File.ReadAllBytes(dir["last.ckpt"]);
        File.CreateSymbolicLink(dir["last.ckpt.tmp"], "/dev/full"); // every write to it fails with ENOSPC
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Save(dir["last.ckpt"], net, new Recipe(), State with { Epoch = 4 }, null));
        Assert.Contains("previous checkpoint", e.Message);
        Assert.Equal(before, File.ReadAllBytes(dir["last.ckpt"]));
        Assert.False(File.Exists(dir["last.ckpt.tmp"]));
    }
}

public class CheckpointIntegrityTests
{
    static readonly TrainingState State = new(3, 2, 0.9, 12.5);

    static string Saved(TempDir dir, Action<ConvNet>? change = null, Recipe? recipe = null)
    {
        TorchSharp.torch.manual_seed(1);
        using var net = new ConvNet(new ConvNetConfig());
        change?.Invoke(net);
        Checkpoint.Save(dir["m.ckpt"], net, recipe ?? new Recipe(), State, null);
        return dir["m.ckpt"];
    }

    [Theory]
    [InlineData("flip one byte of the weights")]
    [InlineData("eight bytes of 0xFF")]
    [InlineData("edit inputStd in the header")]
    [InlineData("edit the seed in the header")]
    [InlineData("cut the last byte")]
    public void A_changed_byte_is_refused_by_the_checksum_naming_the_file(string change)
    {
        using var dir = new TempDir();
        var path = Saved(dir);
        var bytes = File.ReadAllBytes(path);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        switch (change)
        {
            case "flip one byte of the weights": bytes[bytes.Length / 2] ^= 0x01; break;
            case "eight bytes of 0xFF": Array.Fill(bytes, (byte)0xFF, bytes.Length / 2, 8); break;
            case "edit inputStd in the header": bytes = System.Text.Encoding.UTF8.GetBytes(text.Replace("\"inputStd\": 1", "\"inputStd\": 2")); break;
            case "edit the seed in the header": bytes = System.Text.Encoding.UTF8.GetBytes(text.Replace("\"seed\": 1", "\"seed\": 2")); break;
            case "cut the last byte": bytes = bytes[..^1]; break;
        }
        Assert.NotEqual(File.ReadAllBytes(path), bytes);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Load(path));
        Assert.Equal($"{path}: corrupt checkpoint: its content does not match its SHA-256 (a changed or missing byte); use another checkpoint or train again.", e.Message);
    }

    [Fact]
    public void A_checkpoint_with_a_weight_that_is_not_a_number_is_refused()
    {
        using var dir = new TempDir();
        var path = Saved(dir, net => { using var _ = TorchSharp.torch.no_grad(); net.state_dict()["fc2.weight"][0, 0] = TorchSharp.torch.tensor(float.NaN); });
        Assert.Equal($"{path}: corrupt checkpoint: fc2.weight holds a value that is not a finite number.", Assert.Throws<SemisupException>(() => Checkpoint.Load(path)).Message);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("nesterov")]
    public void A_last_checkpoint_whose_optimizer_state_is_not_a_number_is_refused_as_corrupt(string kind)
    {
        using var dir = new TempDir();
        var recipe = new Recipe { Optimizer = kind == "adam" ? new Semisup.Optim.Adam() : new Semisup.Optim.Nesterov() };
        using var net = new ConvNet(new ConvNetConfig());
        using var optimizer = Factory.Optimizer(net, recipe);
        var state = optimizer.State().ToList();
        Assert.NotEmpty(state);
        using (no_grad()) state[^1].view(-1)[0] = tensor(float.NaN);
        Checkpoint.Save(dir["last.ckpt"], net, recipe, State, optimizer);
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Resume(dir["last.ckpt"], m => Factory.Optimizer(m, recipe)));
        Assert.Equal($"{dir["last.ckpt"]}: corrupt checkpoint: its optimizer state holds a value that is not a finite number.", e.Message);
    }

    [Fact]
    public void A_checkpoints_recipe_passes_the_checks_a_recipe_file_does()
    {
        using var dir = new TempDir();
        var path = Saved(dir);
        ForgedCheckpoints.Rewrite(path, h => h["recipe"]!["data"]!["labels"] = 25); // Save refuses to write such a header
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Load(path));
        Assert.StartsWith($"{path}: its recipe is invalid: ", e.Message);
        Assert.Contains("data.labels: 25 must be a positive multiple of 10", e.Message);
    }

    /// <summary>Rewrites a checkpoint's JSON header, with a checksum that fits: a file as an older version wrote it.</summary>
    static void WithHeader(string path, Action<System.Text.Json.Nodes.JsonObject> change)
    {
        var bytes = File.ReadAllBytes(path);
        using var reader = new BinaryReader(new MemoryStream(bytes[..^32]));
        var (magic, header) = (reader.ReadString(), System.Text.Json.Nodes.JsonNode.Parse(reader.ReadString())!.AsObject());
        var rest = reader.ReadBytes(bytes.Length);
        change(header);
        using var content = new MemoryStream();
        using (var writer = new BinaryWriter(content, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(magic);
            writer.Write(header.ToJsonString());
            writer.Write(rest);
        }
        File.WriteAllBytes(path, [.. content.ToArray(), .. System.Security.Cryptography.SHA256.HashData(content.ToArray())]);
    }

    [Fact]
    public void A_checkpoint_from_before_the_retired_keys_loads_unless_it_set_one_and_the_refusal_names_the_commit()
    {
        using var dir = new TempDir();
        var path = Saved(dir);
        // As the code of e050450 wrote it: every key of the recipe, retired ones at their defaults, and a method state.
        WithHeader(path, h =>
        {
            h["recipe"]!["model"]!["cleanDropout"] = true;
            h["recipe"]!["model"]!["convWidth"] = 1;
            h["recipe"]!["schedule"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "kind": "cosine", "warmupEpochs": 0 }""");
            h["state"]!["methodState"] = null;
        });
        var (model, header) = Checkpoint.Load(path);
        model.Dispose();
        Assert.Equal(new ConvNetConfig(), header.Recipe.Model);
        Assert.IsType<Semisup.Optim.Cosine>(header.Recipe.Schedule);
        Assert.Equal(State, header.State);

        WithHeader(path, h => h["recipe"]!["model"]!["convWidth"] = 1.5);
        Assert.Equal($"{path} (its recipe): model.convWidth: 1.5 is a setting Semisup no longer has; check out e050450 to train or load this recipe.",
            Assert.Throws<SemisupException>(() => Checkpoint.Load(path)).Message);
        WithHeader(path, h => { h["recipe"]!["model"]!.AsObject().Remove("convWidth"); h["state"]!["methodState"] = new System.Text.Json.Nodes.JsonArray(0.1, 0.9); });
        Assert.Equal($"{path}: its run kept distribution alignment's running mean, which Semisup no longer has; check out e050450 to load or resume it.",
            Assert.Throws<SemisupException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void The_shipped_checkpoints_carry_their_checksum()
    {
        foreach (var path in Directory.GetFiles(Path.Combine(Repo.Root, "models"), "*.ckpt", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(path);
            Assert.Equal("SEMISUP-CKPT-2", System.Text.Encoding.ASCII.GetString(bytes, 1, bytes[0]));
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)), bytes[^32..]);
        }
    }
}
