using Semisup.Models;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Models;

/// <summary>The conv and gap kinds on colour images of other sizes, and the sizes their arithmetic refuses.</summary>
public class InputShapeTests
{
    [Theory]
    [InlineData(3, 32, 32)]
    [InlineData(3, 28, 28)]
    [InlineData(1, 24, 24)] // the smallest the lab's network allows
    [InlineData(3, 64, 40)]
    public void The_conv_kind_takes_colour_images_of_any_size_its_arithmetic_allows(int channels, int height, int width)
    {
        var config = new ConvNetConfig(Dropout: 0);
        using var net = config.Build(channels, height, width, 7);
        Assert.Equal(config.ForInput(channels, height, width, 7).Parameters, net.parameters().Sum(p => (double)p.numel()));
        using var x = rand(4, channels, height, width);
        using var y = net.call(x);
        Assert.Equal([4L, 7], y.shape);
        net.eval();
        using var z = net.call(x);
        Assert.Equal([4L, 7], z.shape);
    }

    [Fact]
    public void The_conv_kind_refuses_images_too_small_with_their_numbers()
    {
        Assert.Contains("images of 20×32 are too small for this network (it needs at least 24×24)", new ConvNetConfig().ForInput(3, 20, 32, 10).Problems());
    }

    [Theory]
    [InlineData(3, 32, 32)]
    [InlineData(3, 28, 36)]
    [InlineData(1, 96, 96)]
    public void The_gap_kind_takes_colour_images_of_any_size_its_arithmetic_allows(int channels, int height, int width)
    {
        var config = new GapNetConfig([8, 16, 16]);
        using var net = config.Build(channels, height, width, 5);
        Assert.Equal(config.ForInput(channels, height, width, 5).Parameters, net.parameters().Sum(p => (double)p.numel()));
        using var y = net.call(rand(3, channels, height, width));
        Assert.Equal([3L, 5], y.shape);
    }

    [Fact]
    public void The_gap_kinds_multiply_adds_follow_height_and_width_separately()
    {
        // 28×36 RGB: 3→8 and 8→8 at 28×36; 8→16 and 16→16 at 14×18; then 16×10.
        double expected = 9.0 * (3 * 8 + 8 * 8) * 28 * 36 + 9.0 * (8 * 16 + 16 * 16) * 14 * 18 + 16 * 10;
        Assert.Equal(expected, new GapNetConfig([8, 16]).ForInput(3, 28, 36, 10).MultiplyAdds);
    }

    [Fact]
    public void The_gap_kind_refuses_more_stages_than_the_image_can_halve_at_recipe_validation()
    {
        var e = Assert.Throws<SemisupException>(() => new Recipe { Model = new GapNetConfig([8, 8, 8, 8, 8, 8]) }.Validate());
        Assert.Contains("model.widths: images of 28×28 are too small for 6 stages: the 5 poolings between them halve them to 0×0; give at most 5 widths", e.Message);
        new Recipe { Model = new GapNetConfig([8, 8, 8, 8, 8]) }.Validate();
        Assert.Contains("widths: images of 64×12 are too small for 5 stages: the 4 poolings between them halve them to 4×0; give at most 4 widths",
            new GapNetConfig([8, 8, 8, 8, 8]).ForInput(3, 64, 12, 10).Problems());
    }

    [Fact]
    public void The_factory_builds_the_recipes_network_for_its_datasets_images()
    {
        using var net = (ConvNet)Factory.Model(new Recipe());
        Assert.Equal((1, 28, 28, 10), (net.Config.Channels, net.Config.Height, net.Config.Width, net.Config.Classes));
        Assert.Equal((1, 28, 28, 10), new Recipe { Data = new DataSettings("fashion-mnist") }.Input);
    }

    [Fact]
    public void The_factory_builds_a_folder_runs_network_at_the_folders_shape()
    {
        // As FolderData.Resolve records a folder run: dataset "folder", which no built-in dataset is named.
        var recipe = new Recipe { Data = new DataSettings(Dataset: "folder", Labels: 3, Folder: "/x", Classes: ["cat", "dog", "owl"], Channels: 3, Size: 40), Model = new AirbenchConfig(Width: 4) };
        using var net = (AirbenchNet)Factory.Model(recipe);
        Assert.Equal((3, 40, 40, 3), (net.Config.Channels, net.Config.ImageHeight, net.Config.ImageWidth, net.Config.Classes));
        Assert.Contains("Unknown dataset 'fashion'", Assert.Throws<SemisupException>(() => Factory.Model(new Recipe { Data = new DataSettings("fashion") })).Message);
    }
}
